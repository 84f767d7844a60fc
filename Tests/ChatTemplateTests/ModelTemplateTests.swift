import ChatTemplate
import Foundation
import TestSupport
import Testing

@Suite struct ModelTemplateTests {
    static let all: [(name: String, template: String)] = [
        ("llama3", ModelTemplates.llama3), ("llama31", ModelTemplates.llama31), ("llama32", ModelTemplates.llama32),
        ("falcon3", ModelTemplates.falcon3), ("chatML", ModelTemplates.chatML), ("qwen3", ModelTemplates.qwen3),
        ("mistral", ModelTemplates.mistral), ("mistralV3", ModelTemplates.mistralV3),
    ]

    // MARK: Against jinja2

    @Test(.enabled(if: JinjaReference.available, "python3 with jinja2 is needed for the reference renderings"))
    func everyTemplateMatchesJinjaOnEveryConversation() throws {
        let templates = [try ModelTemplates.bitnet] + Self.all.map(\.template)
        try JinjaReference.expectSame(templates: templates, contexts: ModelTemplates.contexts)
    }

    /// The same conversations through transformers' own `render_jinja_template`, which also checks that the
    /// reference environment above is the one transformers builds.
    @Test(.enabled(if: pythonHas("transformers.utils.chat_template_utils"), "transformers is needed"))
    func matchesTransformersApplyChatTemplate() throws {
        let script = #"""
        import json, os, sys
        from transformers.utils.chat_template_utils import render_jinja_template
        cases = json.load(open(os.environ["CASES"], encoding="utf-8"))
        out = []
        for case in cases:
            try:
                rendered, _ = render_jinja_template(conversations=[case["messages"]], chat_template=case["template"],
                                                    add_generation_prompt=case["add_generation_prompt"],
                                                    bos_token=case["bos_token"], eos_token=case["eos_token"])
                out.append(rendered[0])
            except Exception as error:
                out.append("error: " + str(error))
        json.dump(out, open(os.environ["OUT"], "w", encoding="utf-8"))
        """#
        let conversations: [[(role: String, content: String)]] = [
            [("user", "Hello!")],
            [("system", " Be brief. "), ("user", "2+2?"), ("assistant", "4"), ("user", "3+3?")],
            [("user", "ünïcödé 😀"), ("assistant", "<think>\nx\n</think>\n\nok")],
        ]
        var cases: [[String: Any]] = []
        var ours: [String] = []
        // Llama 3.2 reads today's date unless given one; both sides get a fixed date instead.
        let templates = ([try ModelTemplates.bitnet] + Self.all.map(\.template))
            .map { $0.replacingOccurrences(of: "strftime_now(\"%d %b %Y\")", with: "\"26 Jul 2024\"") }
        for template in templates {
            for messages in conversations {
                for generationPrompt in [true, false] {
                    cases.append(["template": template, "messages": messages.map { ["role": $0.role, "content": $0.content] },
                                  "add_generation_prompt": generationPrompt, "bos_token": "<s>", "eos_token": "</s>"])
                    do {
                        ours.append(try ChatTemplate(template).render(messages: messages, bosToken: "<s>", eosToken: "</s>",
                                                                      addGenerationPrompt: generationPrompt))
                    } catch let error as TemplateError where error.kind == .raised {
                        ours.append("error: " + error.message)
                    }
                }
            }
        }
        let directory = TemporaryDirectory()
        try JSONSerialization.data(withJSONObject: cases).write(to: URL(fileURLWithPath: directory.file("cases.json")))
        let result = try #require(runPython(script, environment: ["CASES": directory.file("cases.json"), "OUT": directory.file("out.json")]))
        try #require(result.status == 0, "\(result.output.suffix(2000))")
        let output = try Data(contentsOf: URL(fileURLWithPath: directory.file("out.json")))
        let theirs = try #require(try JSONSerialization.jsonObject(with: output) as? [String])
        #expect(theirs.count == ours.count)
        for (index, (expected, actual)) in zip(theirs, ours).enumerated() {
            #expect(Array(expected.unicodeScalars) == Array(actual.unicodeScalars), "case \(index): transformers gave \(expected.debugDescription), we gave \(actual.debugDescription)")
        }
    }

    // MARK: Hand-derived renderings

    @Test func bitnetRendersItsFixtureTemplate() throws {
        let template = try ChatTemplate(try ModelTemplates.bitnet)
        let text = try template.render(messages: [("system", "Be kind."), ("user", "Hi"), ("assistant", "Hello")],
                                       bosToken: "<|begin_of_text|>", eosToken: "<|eot_id|>", addGenerationPrompt: true)
        #expect(text == "<|begin_of_text|>System: Be kind.<|eot_id|>User: Hi<|eot_id|>Assistant: Hello<|eot_id|>Assistant: ")
        let withoutPrompt = try template.render(messages: [("user", "Hi")], bosToken: "<s>", eosToken: nil, addGenerationPrompt: false)
        #expect(withoutPrompt == "<s>User: Hi<|eot_id|>")
    }

    @Test func llama3TrimsContentAndAddsTheBOSOnce() throws {
        let text = try ChatTemplate(ModelTemplates.llama3).render(
            messages: [("system", " sys \n"), ("user", "Hi")], bosToken: "<|begin_of_text|>", eosToken: "<|eot_id|>",
            addGenerationPrompt: true)
        #expect(text == "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nsys<|eot_id|>"
            + "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n")
    }

    @Test func llama31PutsTheDateAndSystemMessageFirst() throws {
        let text = try ChatTemplate(ModelTemplates.llama31).render(
            messages: [("system", "Be brief."), ("user", "Hi")], bosToken: "<|begin_of_text|>", eosToken: nil,
            addGenerationPrompt: false)
        #expect(text == "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n"
            + "Cutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\nBe brief.<|eot_id|>"
            + "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>")
    }

    @Test func llama32TakesTodaysDateFromStrftimeNow() throws {
        let text = try ChatTemplate(ModelTemplates.llama32).render(messages: [("user", "Hi")], bosToken: "", eosToken: nil,
                                                                   addGenerationPrompt: true)
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "dd MMM yyyy"
        #expect(text.contains("Today Date: \(formatter.string(from: Date()))\n\n"))
        let fixed = try ChatTemplate(ModelTemplates.llama32).render(messages: [("user", "Hi")], bosToken: "", eosToken: nil,
                                                                    addGenerationPrompt: true, extra: ["date_string": "01 Jan 2030"])
        #expect(fixed.contains("Today Date: 01 Jan 2030\n\n"))
    }

    @Test func llama31CallsToolsThroughJSON() throws {
        let tools = try TemplateValue(json: #"[{"name": "f", "parameters": {"x": 1}}]"#)
        let text = try ChatTemplate(ModelTemplates.llama31).render(
            messages: [("user", "go")], bosToken: "", eosToken: nil, addGenerationPrompt: false, extra: ["tools": tools])
        #expect(text.contains("Environment: ipython\n"))
        #expect(text.contains("{\n    \"name\": \"f\",\n    \"parameters\": {\n        \"x\": 1\n    }\n}\n\ngo<|eot_id|>"))
    }

    @Test func falcon3EndsAssistantTurnsWithEOS() throws {
        let text = try ChatTemplate(ModelTemplates.falcon3).render(
            messages: [("system", "S"), ("user", "U"), ("assistant", "A"), ("user", "V")], bosToken: nil, eosToken: "<|endoftext|>",
            addGenerationPrompt: true)
        #expect(text == "<|system|>\nS\n<|user|>\nU\n<|assistant|>\nA<|endoftext|>\n<|user|>\nV\n<|assistant|>\n")
    }

    @Test func chatMLAddsTheDefaultSystemMessage() throws {
        let text = try ChatTemplate(ModelTemplates.chatML).render(messages: [("user", "Hi")], bosToken: nil, eosToken: nil,
                                                                  addGenerationPrompt: true)
        #expect(text == "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n"
            + "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n")
    }

    @Test func qwen3StripsEarlierThinking() throws {
        let text = try ChatTemplate(ModelTemplates.qwen3).render(
            messages: [("user", "a"), ("assistant", "<think>\nr\n</think>\n\nb"), ("user", "c")], bosToken: nil, eosToken: nil,
            addGenerationPrompt: true, extra: ["enable_thinking": false])
        #expect(text == "<|im_start|>user\na<|im_end|>\n<|im_start|>assistant\nb<|im_end|>\n<|im_start|>user\nc<|im_end|>\n"
            + "<|im_start|>assistant\n<think>\n\n</think>\n\n")
    }

    @Test func mistralWrapsUserTurnsInINST() throws {
        let text = try ChatTemplate(ModelTemplates.mistral).render(messages: [("user", "Hi"), ("assistant", "Yo"), ("user", "Bye")],
                                                                   bosToken: "<s>", eosToken: "</s>", addGenerationPrompt: false)
        #expect(text == "<s>[INST] Hi [/INST]Yo</s>[INST] Bye [/INST]")
        let v3 = try ChatTemplate(ModelTemplates.mistralV3).render(messages: [("system", "S"), ("user", "Hi")],
                                                                   bosToken: "<s>", eosToken: "</s>", addGenerationPrompt: false)
        #expect(v3 == "<s> [INST] S\n\nHi [/INST]")
    }

    @Test func mistralRaisesOnRolesThatDoNotAlternate() throws {
        let template = try ChatTemplate(ModelTemplates.mistral)
        let error = #expect(throws: TemplateError.self) {
            try template.render(messages: [("user", "a"), ("user", "b")], bosToken: "<s>", eosToken: "</s>", addGenerationPrompt: false)
        }
        #expect(error?.kind == .raised)
        #expect(error?.message == "Conversation roles must alternate user/assistant/user/assistant/...")
        #expect(error?.line == 1)
        #expect(error?.column == 110)
    }
}
