public enum RSRBenchPlaceholder {}
