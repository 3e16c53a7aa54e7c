// OpenAI's official Node SDK against a cocoon client's API
// (COCOON_API_URL, such as http://127.0.0.1:10000/v1, serving
// COCOON_MODEL, the built-in engine's stories260K): a chat, a stream with
// and without usage, a completion, the model list, and a table of bad
// requests, each refused with a 400 that names its parameter in OpenAI's
// error shape. cmd/cocoon's TestFirstHour runs it against a devnet;
// without COCOON_API_URL its tests are skipped.
import { test } from "node:test";
import assert from "node:assert/strict";
import OpenAI from "openai";

const baseURL = process.env.COCOON_API_URL;
const model = process.env.COCOON_MODEL ?? "stories260K";
const skip = baseURL ? false : "set COCOON_API_URL to a cocoon client's API, such as http://127.0.0.1:10000/v1";
const client = new OpenAI({ baseURL: baseURL ?? "http://127.0.0.1:1/v1", apiKey: process.env.COCOON_API_KEY ?? "unused", maxRetries: 0 });
const messages = [{ role: "user", content: "Once upon a time" }];

test("chat completion", { skip }, async () => {
  const c = await client.chat.completions.create({ model, messages, max_tokens: 8 });
  assert.equal(c.object, "chat.completion");
  assert.equal(c.choices.length, 1);
  assert.equal(c.choices[0].message.role, "assistant");
  assert.ok(c.usage.completion_tokens > 0);
});

test("stream without usage: every chunk has a choice", { skip }, async () => {
  const stream = await client.chat.completions.create({ model, messages, max_tokens: 8, stream: true });
  let text = "";
  for await (const chunk of stream) {
    assert.ok(chunk.choices.length > 0, `a chunk without choices: ${JSON.stringify(chunk)}`);
    assert.equal(chunk.usage ?? null, null);
    text += chunk.choices[0].delta.content ?? "";
  }
  assert.ok(text.length > 0);
});

test("stream with usage: a last chunk with choices [] and usage", { skip }, async () => {
  const stream = await client.chat.completions.create({
    model, messages, max_tokens: 8, stream: true, stream_options: { include_usage: true },
  });
  const chunks = [];
  for await (const chunk of stream) chunks.push(chunk);
  const last = chunks.at(-1);
  assert.deepEqual(last.choices, []);
  assert.ok(last.usage.completion_tokens > 0 && last.usage.prompt_tokens > 0);
});

test("completion and models", { skip }, async () => {
  const c = await client.completions.create({ model, prompt: "Once upon a time", max_tokens: 4 });
  assert.equal(c.object, "text_completion");
  const list = await client.models.list();
  assert.ok(list.data.some((m) => m.id === model));
});

const bad = [
  ["tools on the built-in engine", { tools: [{ type: "function", function: { name: "f" } }] }, "tools", "unsupported_parameter"],
  ["response_format on the built-in engine", { response_format: { type: "json_object" } }, "response_format", "unsupported_parameter"],
  ["logprobs on the built-in engine", { logprobs: true }, "logprobs", "unsupported_parameter"],
  ["unknown role", { messages: [{ role: "wizard", content: "x" }] }, "messages[0].role", "invalid_value"],
  ["messages a string", { messages: "hi" }, "messages", "invalid_type"],
  ["max_tokens out of range", { max_tokens: 1e23 }, "max_tokens", "integer_above_max_value"],
  ["temperature out of range", { temperature: 7 }, "temperature", "decimal_above_max_value"],
  ["stream_options without stream", { stream_options: { include_usage: true } }, "stream_options", "invalid_value"],
];
for (const [name, params, param, code] of bad) {
  test(`bad request: ${name}`, { skip }, async () => {
    await assert.rejects(client.chat.completions.create({ model, messages, ...params }), (err) => {
      assert.ok(err instanceof OpenAI.BadRequestError, `got ${err}`);
      assert.equal(err.status, 400);
      assert.equal(err.param, param);
      assert.equal(err.code, code);
      assert.equal(err.type, "invalid_request_error");
      assert.doesNotMatch(err.message, /Go struct|unmarshal/);
      return true;
    });
  });
}

test("bad request: echo on the built-in engine", { skip }, async () => {
  await assert.rejects(client.completions.create({ model, prompt: "x", echo: true }), (err) => {
    assert.equal(err.status, 400);
    assert.equal(err.param, "echo");
    assert.equal(err.code, "unsupported_parameter");
    return true;
  });
});
