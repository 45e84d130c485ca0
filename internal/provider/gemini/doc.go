// Package gemini is the provider adapter for the Google Gemini API (generativelanguage.googleapis.com,
// v1beta): models/{model}:generateContent, :streamGenerateContent, :batchEmbedContents and the
// model list. The API key goes in the x-goog-api-key header, never in the URL.
//
// # Requests
//
// A canonical llm.Request becomes one GenerateContentRequest:
//
//   - system and developer messages, wherever they stand, join systemInstruction; user
//     messages become "user" contents and assistant messages "model" ones. Images given as
//     data: URLs go inline (inlineData), http(s) URLs by reference (fileData, with a media
//     type guessed from the extension); documents likewise, plain-text ones as text.
//   - An assistant's tool calls become functionCall parts with their arguments as an object
//     and their thoughtSignature back on the part. Gemini 3 refuses a turn of calls without
//     one, so calls made by another provider carry the value Google documents for that case.
//   - A tool result becomes a functionResponse in a "user" content, named after the function
//     of the earlier call with the same id (Gemini matches results by name); results of
//     consecutive tool messages share one content. The response object holds the result
//     under "result" (a JSON object stays an object), or under "error" for a failed tool.
//   - Tools become functionDeclarations with parametersJsonSchema (full JSON Schema; the
//     older "parameters" takes only an OpenAPI subset); tool_choice becomes
//     functionCallingConfig (AUTO, ANY, NONE, ANY with one allowed name).
//   - Sampling options, stop sequences, seed, candidate count and logprobs go into
//     generationConfig; json_object and json_schema set responseMimeType application/json
//     and responseJsonSchema; thinking sets thinkingConfig (a budget of 0 turns it off).
//
// Earlier reasoning (Message.Reasoning, Message.Thinking) is model output and not sent back.
// What Gemini has no equivalent for and does not change the answer's meaning is left out and
// listed with llm.Request.Drop: hints of other formats, hosted tools of other providers,
// cache_control, prompt_cache_key, parallel_tool_calls false, strict tools. Request
// extensions of other formats are refused as unsupported parameters.
//
// # Answers
//
// Answers are re-encoded into the canonical types (Raw stays nil: no client speaks Gemini's
// format to the gateway). Thought parts become Reasoning and thinking blocks; function calls
// become tool calls with a generated "call_" id unless Gemini gives one, their thought
// signature kept. Finish reasons map to OpenAI's (STOP with calls is tool_calls, the safety
// reasons are content_filter); a malformed function call is an upstream_bad_response error.
// A prompt blocked by promptFeedback is an empty answer ended by content_filter.
// Output tokens include thoughtsTokenCount, which Gemini counts apart.
//
// Streams are Server-Sent Events (alt=sse), each event a whole response holding only new
// parts; function calls arrive whole, so each is one tool-call delta. The last event's
// finishReason and usage end the stream; a stream cut off before any finish reason is an
// error, never a silently shortened answer.
package gemini
