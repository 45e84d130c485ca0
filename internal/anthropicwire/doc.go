// Package anthropicwire is Anthropic's Messages API wire format (POST /v1/messages and
// /v1/messages/count_tokens): the translation of its requests, answers, event streams and
// errors to and from the canonical llm types. Both the Anthropic ingress (internal/api/...)
// and the Anthropic provider adapter (internal/provider/anthropic) speak it, so it lives once,
// here, at the edge; no other package sees this JSON.
//
// Reference: https://docs.claude.com/en/api/messages and
// https://docs.claude.com/en/docs/build-with-claude/streaming
//
// # Requests
//
// DecodeRequest reads a client's body. The system prompt becomes one leading system message
// with a text part per block; a user message that carries tool_result blocks becomes one
// "tool" message per result followed by a user message with the other blocks; thinking
// blocks fill Message.Thinking (with their signatures) and Message.Reasoning. Blocks without
// a canonical form (search_result, server_tool_use, web_search_tool_result, container_upload,
// file sources…) are kept whole as llm.PartOther in FormatAnthropic, and typed server tools
// (web_search_20250305, bash_20250124…) as hosted tools. Tuning-only top-level fields
// (context_management, service_tier, container, mcp_servers, inference_geo, speed,
// diagnostics, the top-level cache_control, output_config's effort) go to Request.Hints,
// thinking.display to Hints["thinking.display"]; other unknown fields to Request.Extensions.
//
// Members of a block, or of a custom tool, that have no canonical field (a document's
// citations and context, a text block's citations, a tool's defer_loading or input_examples…)
// are kept as a JSON object of just those members in Part.Raw or Tool.Raw with RawFormat
// FormatAnthropic (Hosted and Type say what the rest of the value is), so that a request sent
// back to Anthropic keeps them; other formats ignore them.
//
// EncodeRequest builds the body sent to Anthropic: system and developer messages are merged
// into the system field; consecutive messages of one role are merged so that roles alternate,
// with tool results first in their user message; thinking blocks go back only with their
// signatures; tool-call ids are made to fit Anthropic's pattern; a json_schema response
// format becomes output_config.format (structured outputs). Features Anthropic lacks are
// left out and listed with Request.Drop when leaving them out keeps the meaning (seed,
// penalties, logprobs, hints of other formats, hosted tools of other formats), and refused
// with llm.Unsupported otherwise (n > 1, json_object, extensions of other formats).
//
// # Answers and streams
//
// DecodeResponse and EncodeResponse translate the message object. StreamDecoder turns the
// events of an upstream stream into canonical chunks; StreamEncoder turns the chunks of any
// provider into Anthropic's exact event sequence for a client: message_start, ping, one
// content_block_start / content_block_delta… / content_block_stop group per block, then
// message_delta with the stop reason and usage, and message_stop.
package anthropicwire
