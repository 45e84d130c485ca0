// Package ollama is the provider adapter for Ollama's native API (/api/chat, /api/embed,
// /api/tags, /api/show), which carries more than Ollama's OpenAI-compatible endpoint: the
// context window (options.num_ctx), thinking, and keep_alive.
//
// # Requests
//
// A canonical llm.Request becomes one /api/chat body:
//
//   - system and developer messages become "system"; user, assistant and tool keep their role
//     (a legacy "function" message becomes "tool"). Text parts are joined into "content";
//     images given as data: URLs go, without their prefix, into "images" (Ollama takes
//     inline images only). Message.Reasoning becomes "thinking".
//   - An assistant's tool calls carry their arguments as a JSON object, not as text; a tool
//     message names the function it answers in "tool_name", found from the earlier call with
//     the same id.
//   - json_object becomes format "json", json_schema puts the schema itself into "format".
//   - temperature, top_p, max tokens (num_predict), stop, seed and the penalties go into
//     "options"; a reasoning effort becomes think true, or false for "none".
//
// What Ollama cannot do is refused with an unsupported-parameter error rather than dropped:
// n > 1, logprobs, a tool_choice that forces a call, content parts of other formats, and
// request fields without a canonical equivalent.
//
// # Context window
//
// Ollama silently truncates prompts longer than its default num_ctx. The client therefore
// reads each model's context length once from /api/show, estimates the prompt's size from its
// bytes, and sets num_ctx to the smallest power of two from 4096 up that holds the prompt and
// the answer, capped at the model's window (powers of two, so that Ollama does not reload the
// model for every size). A prompt that cannot fit even by the lowest estimate is refused with
// a context_length_exceeded error, and "truncate": false asks Ollama versions that know it to
// fail rather than cut the prompt: never a silently truncated answer.
//
// # Answers
//
// Answers are re-encoded into the canonical types (Raw stays nil: Ollama's format is no
// client's). Streams are NDJSON, one object per line; the last one (done: true) gives the
// finish reason and usage. Tool calls arrive whole, so each becomes one delta with a
// generated "call_" id. A stream that ends without its done line is an error, never a
// silently shortened answer.
package ollama
