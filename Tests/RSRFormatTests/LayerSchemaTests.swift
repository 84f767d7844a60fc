import RSRFormat
import Testing

@Suite struct LayerSchemaTests {
    /// A GQA model whose heads are not hidden / heads wide: every projection's out x in.
    @Test func projectionShapesFollowTheConfig() {
        let shapes = LayerSchema.Projection.allCases.map {
            let (rows, cols) = $0.shape(hidden: 256, intermediate: 768, heads: 4, kvHeads: 2, headDim: 80)
            return [rows, cols]
        }
        #expect(shapes == [[320, 256], [160, 256], [160, 256], [256, 320], [768, 256], [768, 256], [256, 768]])
        #expect(LayerSchema.Projection.allCases.map(\.checkpointPath) == [
            "self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj",
            "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj",
        ])
    }

    @Test func namesSortInModelOrder() {
        let names = ["layers.10.q_proj", "layers.2.down_proj", "layers.2.q_proj", "layers.2.gate_proj", "norm", "layers.2.k_proj"]
        #expect(names.sorted(by: LayerSchema.inModelOrder) ==
                ["layers.2.q_proj", "layers.2.k_proj", "layers.2.gate_proj", "layers.2.down_proj", "layers.10.q_proj", "norm"])
        #expect(LayerSchema.name(3, .up) == "layers.3.up_proj" && LayerSchema.name(3, .mlpSub) == "layers.3.ffn_sub_norm")
        #expect(LayerSchema.checkpointName(3, LayerSchema.Projection.o.checkpointPath) == "model.layers.3.self_attn.o_proj")
    }

    @Test func normLengthsFollowTheConfig() {
        let c = SampleFile.config(hidden: 64, layers: 1)
        #expect(LayerSchema.Norm.allCases.map { $0.length(c) } == [64, 64, c.headCount * c.headDim, c.intermediateSize])
    }
}
