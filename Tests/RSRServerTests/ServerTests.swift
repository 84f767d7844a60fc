import Foundation
import RSRServer
import TestSupport
import Testing

/// `rsr serve` over real HTTP on loopback: curl, and OpenAI's own Python client.
@Suite(.serialized) struct ServerTests {
    static let openAI = pythonHas("openai")

    @Test func aGreedyCompletionIsWhatRsrGenerateWrites() async throws {
        let server = try await RunningServer.start()
        let prompt = "And God said"
        let expected = try server.generateAlone(try server.session.tokenizer.encode(prompt), maxTokens: 12)
        let (status, body) = await curl([server.base + "/v1/completions", "-H", "Content-Type: application/json",
                                         "-d", #"{"model": "default", "prompt": "And God said", "max_tokens": 12, "temperature": 0}"#])
        await server.stop()
        #expect(status == 200)
        let answer = object(body)
        let choice = (answer["choices"] as? [[String: Any]])?.first
        #expect(choice?["text"] as? String == expected && choice?["finish_reason"] as? String == "length")
        let usage = answer["usage"] as? [String: Any]
        let promptTokens = usage?["prompt_tokens"] as? Int ?? 0
        #expect(usage?["completion_tokens"] as? Int == 12 && usage?["total_tokens"] as? Int == promptTokens + 12)
        #expect((usage?["prompt_tokens_details"] as? [String: Int])?["cached_tokens"] == 0)
        #expect(answer["object"] as? String == "text_completion" && answer["model"] as? String == "default")
    }

    /// The openai package: chat whole and streamed (the pieces add up to the whole), a completion, the
    /// model list, eight greedy chats at once, each the text it gets alone, and a chat whose long system
    /// message an earlier chat sent: its usage counts the cached prompt tokens, and its text is still its own.
    @Test(.enabled(if: openAI || referencesRequired)) func theOpenAIClientChatsStreamsAndRunsEightAtOnce() async throws {
        let server = try await RunningServer.start(parallel: 8)
        let questions = ["Who made the heaven?", "What is light?", "Where is Egypt?", "Who was Moses?",
                         "What did Noah build?", "Who is the LORD?", "What is bread?", "Where is the river?"]
        let alone = try questions.map { question in
            try server.generateAlone(try server.session.chatPrompt(messages: [(role: "user", content: question)]), maxTokens: 16)
        }
        let system = String(repeating: "Answer from the words of the King James Bible, and name the book, chapter and verse. ", count: 4)
        let withSystem = try server.generateAlone(try server.session.chatPrompt(messages: [(role: "system", content: system),
                                                                                             (role: "user", content: questions[2])]), maxTokens: 8)
        let script = """
            import json, os, concurrent.futures
            from openai import OpenAI
            client = OpenAI(base_url=os.environ["RSR_BASE"] + "/v1", api_key="unused")
            questions = json.loads(os.environ["QUESTIONS"])
            def chat(q):
                r = client.chat.completions.create(model="default", messages=[{"role": "user", "content": q}], max_tokens=16, temperature=0)
                return r.choices[0].message.content
            whole = client.chat.completions.create(model="default", messages=[{"role": "user", "content": questions[0]}],
                                                   max_tokens=16, temperature=0)
            pieces, finish = [], None
            for chunk in client.chat.completions.create(model="default", messages=[{"role": "user", "content": questions[0]}],
                                                        max_tokens=16, temperature=0, stream=True):
                if chunk.choices:
                    pieces.append(chunk.choices[0].delta.content or "")
                    finish = chunk.choices[0].finish_reason or finish
            completion = client.completions.create(model="default", prompt="In the beginning", max_tokens=8, temperature=0)
            with concurrent.futures.ThreadPoolExecutor(8) as pool:
                together = list(pool.map(chat, questions))
            def with_system(q):
                return client.chat.completions.create(model="default", max_tokens=8, temperature=0,
                                                      messages=[{"role": "system", "content": os.environ["SYSTEM"]}, {"role": "user", "content": q}])
            with_system(questions[1])
            second = with_system(questions[2])
            print(json.dumps({"whole": whole.choices[0].message.content, "finish": whole.choices[0].finish_reason,
                              "usage": whole.usage.completion_tokens, "streamed": "".join(pieces), "stream_finish": finish,
                              "completion": completion.choices[0].text, "models": [m.id for m in client.models.list()],
                              "together": together, "second": second.choices[0].message.content,
                              "cached": second.usage.prompt_tokens_details.cached_tokens, "prompt": second.usage.prompt_tokens}))
            """
        let questionsJSON = String(decoding: try JSONSerialization.data(withJSONObject: questions), as: UTF8.self)
        let (status, output) = await run("python3", ["-c", script], environment: ["RSR_BASE": server.base, "QUESTIONS": questionsJSON,
                                                                                   "SYSTEM": system])
        let metrics = server.engine.metrics
        await server.stop()
        #expect(status == 0, "\(output)")
        let result = object(output)
        #expect(result["whole"] as? String == alone[0] && result["streamed"] as? String == alone[0])
        #expect(result["finish"] as? String == "length" && result["stream_finish"] as? String == "length" && result["usage"] as? Int == 16)
        #expect(result["completion"] as? String == (try server.generateAlone(try server.session.tokenizer.encode("In the beginning"), maxTokens: 8)))
        #expect(result["models"] as? [String] == ["default"])
        #expect(result["together"] as? [String] == alone, "eight at once")
        #expect(metrics.stepSequences > metrics.steps, "some steps decoded several requests together")
        let cached = result["cached"] as? Int ?? 0, prompt = result["prompt"] as? Int ?? 0
        #expect(result["second"] as? String == withSystem)
        #expect(cached >= 64 && cached % 64 == 0 && cached < prompt, "\(cached) of \(prompt) prompt tokens cached")
    }

    /// A stop string ends the reply before it, whole or streamed, even when it spans tokens.
    @Test func aStopStringEndsTheReplyBeforeIt() async throws {
        let server = try await RunningServer.start()
        let full = try server.generateAlone(try server.session.tokenizer.encode("And God said"), maxTokens: 12)
        let stop = String(full.dropFirst(8).prefix(5))  // five characters from the middle of the reply
        let expected = String(full[..<full.range(of: stop)!.lowerBound])
        let body = #"{"prompt": "And God said", "max_tokens": 12, "temperature": 0, "stop": ["zzz", "\#(stop)"]"#
        let whole = await curl([server.base + "/v1/completions", "-d", body + "}"])
        let streamed = await curl(["-N", server.base + "/v1/completions", "-d", body + #", "stream": true}"#])
        await server.stop()
        let choice = (object(whole.body)["choices"] as? [[String: Any]])?.first
        #expect(choice?["text"] as? String == expected && choice?["finish_reason"] as? String == "stop", "\(whole.body)")
        let pieces = streamed.body.split(separator: "\n").filter { $0.hasPrefix("data: {") }.compactMap { line in
            ((object(String(line.dropFirst(6)))["choices"] as? [[String: Any]])?.first?["text"] as? String)
        }
        #expect(pieces.joined() == expected && streamed.body.hasSuffix("data: [DONE]\n\n"), "\(streamed.body)")
    }

    @Test func badRequestsGetOpenAIsErrorShape() async throws {
        let server = try await RunningServer.start(maxBodyBytes: 4096)
        let cases: [(String, String, String)] = [
            ("/v1/chat/completions", "{\"messages\": [", "not valid JSON"),
            ("/v1/chat/completions", #"{"messages": [{"role": "wizard", "content": "hi"}]}"#, "role"),
            ("/v1/chat/completions", #"{"messages": "hi"}"#, "messages"),
            ("/v1/chat/completions", #"{"messages": [{"role": "user", "content": "hi"}], "max_tokens": "ten"}"#, "max_tokens"),
            ("/v1/chat/completions", #"{"messages": [{"role": "user", "content": "hi"}], "n": 2}"#, "n must be 1"),
            ("/v1/chat/completions", #"{"messages": [{"role": "user", "content": "hi"}], "temperature": 3}"#, "temperature"),
            ("/v1/completions", #"{"prompt": ""}"#, "prompt is empty"),
            ("/v1/completions", "{\"prompt\": \"And\", \"stop\": \"" + String(repeating: "y", count: 300) + "\"}", "at most 256 bytes"),
            ("/v1/completions", #"{"prompt": [999999999]}"#, "outside the vocabulary"),
            ("/v1/completions", "{\"prompt\": \"" + String(repeating: "And God said ", count: 120) + "\"}", "context window"),
            ("/v1/completions", "{\"prompt\": \"" + String(repeating: "x", count: 5000) + "\"}", "larger than 4096 bytes"),
        ]
        for (path, body, words) in cases {
            let (status, answer) = await curl([server.base + path, "-H", "Content-Type: application/json", "--data-binary", body])
            let error = object(answer)["error"] as? [String: Any]
            #expect(status == 400 && error?["type"] as? String == "invalid_request_error", "\(body.prefix(60)): \(status) \(answer)")
            #expect((error?["message"] as? String)?.contains(words) == true, "\(body.prefix(60)): \(answer)")
        }
        let (health, _) = await curl([server.base + "/health"])
        await server.stop()
        #expect(health == 200)
    }

    @Test func anAPIKeyIsRequiredEverywhereButHealth() async throws {
        let server = try await RunningServer.start(apiKey: "sesame")
        let without = await curl([server.base + "/v1/models"])
        let wrong = await curl([server.base + "/v1/models", "-H", "Authorization: Bearer sesamf"])
        let right = await curl([server.base + "/v1/models", "-H", "Authorization: Bearer sesame"])
        let health = await curl([server.base + "/health"])
        await server.stop()
        #expect(without.status == 401 && wrong.status == 401 && right.status == 200 && health.status == 200)
        #expect((object(without.body)["error"] as? [String: Any])?["type"] as? String == "authentication_error")
    }

    @Test func aFullQueueAnswers429WithRetryAfter() async throws {
        let server = try await RunningServer.start(parallel: 1, maxQueue: 0)
        // six long requests at once for one slot and no queue: the first runs, the others are turned away
        let script = """
            import json, os, urllib.request, urllib.error, concurrent.futures
            def post(_):
                request = urllib.request.Request(os.environ["RSR_BASE"] + "/v1/completions", method="POST",
                    data=b'{"prompt": "And", "max_tokens": 240, "temperature": 0, "ignore_eos": true}')
                try:
                    return [urllib.request.urlopen(request).status, None, None]
                except urllib.error.HTTPError as e:
                    return [e.code, e.headers.get("Retry-After"), json.loads(e.read())["error"]["type"]]
            with concurrent.futures.ThreadPoolExecutor(6) as pool:
                print(json.dumps(list(pool.map(post, range(6)))))
            """
        let (status, output) = await run("python3", ["-c", script], environment: ["RSR_BASE": server.base])
        await server.stop()
        #expect(status == 0, "\(output)")
        let answers = (try? JSONSerialization.jsonObject(with: Data(output.utf8))) as? [[Any]] ?? []
        let refused = answers.filter { $0.first as? Int == 429 }
        #expect(answers.contains { $0.first as? Int == 200 } && !refused.isEmpty, "\(output)")
        #expect(refused.allSatisfy { $0[1] as? String == "1" && $0[2] as? String == "rate_limit_error" }, "\(output)")
    }

    @Test func aClientThatDisconnectsMidStreamFreesItsSequence() async throws {
        let server = try await RunningServer.start(parallel: 2)
        let script = """
            import os, urllib.request
            request = urllib.request.Request(os.environ["RSR_BASE"] + "/v1/completions", method="POST",
                data=b'{"prompt": "And", "max_tokens": 240, "temperature": 0, "ignore_eos": true, "stream": true}')
            response = urllib.request.urlopen(request)
            response.readline()  # the first event, then the connection closes
            response.close()
            """
        let (status, output) = await run("python3", ["-c", script], environment: ["RSR_BASE": server.base])
        #expect(status == 0, "\(output)")
        for _ in 0..<500 where server.engine.metrics.requestsCancelled == 0 { try await Task.sleep(for: .milliseconds(10)) }
        let metrics = server.engine.metrics
        await server.stop()
        #expect(metrics.requestsCancelled == 1 && metrics.active == 0 && metrics.generatedTokens < 240)
    }

    @Test func shuttingDownEndsRunningStreams() async throws {
        let server = try await RunningServer.start(parallel: 1)
        async let stream = curl(["-N", server.base + "/v1/completions", "-d",
                                 #"{"prompt": "And", "max_tokens": 240, "temperature": 0, "ignore_eos": true, "stream": true}"#])
        for _ in 0..<2000 where server.engine.metrics.generatedTokens == 0 { try await Task.sleep(for: .milliseconds(2)) }
        server.engine.shutdown()
        let (status, body) = await stream
        await server.stop()
        #expect(status == 200 && body.hasSuffix("data: [DONE]\n\n") && body.contains(#""finish_reason":"stop""#), "\(body.suffix(300))")
        #expect(server.engine.metrics.requestsCancelled == 1)
    }
}
