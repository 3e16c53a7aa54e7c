// OpenAI's official Node SDK against a COCOON client: embeddings from the
// devnet's built-in model and a transcription through a worker in front
// of the fake speech engine. internal/devnet's TestOpenAINodeSDK starts
// the devnet, runs this with the variables below, and checks that what
// the answers report is what the proxy billed.
//
//   COCOON_URL            the client's base URL, such as http://127.0.0.1:10000
//   COCOON_EMBED_MODEL    a model serving /v1/embeddings
//   COCOON_SPEECH_MODEL   a model serving /v1/audio/transcriptions
//   COCOON_RESULTS        where to write the usage the answers reported (JSON)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import OpenAI, { toFile } from 'openai';

const base = process.env.COCOON_URL;
const results = {};

const client = new OpenAI({ baseURL: `${base}/v1`, apiKey: 'unused', maxRetries: 0, timeout: 30_000 });

// wav is a RIFF WAVE file of seconds of silence, 16-bit mono at 16 kHz.
function wav(seconds) {
  const rate = 16000;
  const data = Math.floor(seconds * rate) * 2;
  const b = Buffer.alloc(44 + data);
  b.write('RIFF', 0);
  b.writeUInt32LE(36 + data, 4);
  b.write('WAVEfmt ', 8);
  b.writeUInt32LE(16, 16);
  b.writeUInt16LE(1, 20);
  b.writeUInt16LE(1, 22);
  b.writeUInt32LE(rate, 24);
  b.writeUInt32LE(rate * 2, 28);
  b.writeUInt16LE(2, 32);
  b.writeUInt16LE(16, 34);
  b.write('data', 36);
  b.writeUInt32LE(data, 40);
  return b;
}

test('embeddings.create', async () => {
  const res = await client.embeddings.create({
    model: process.env.COCOON_EMBED_MODEL,
    input: ['Translate this message', 'Summarise that chat'],
  });
  assert.equal(res.data.length, 2);
  for (const [i, d] of res.data.entries()) {
    assert.equal(d.index, i);
    assert.ok(d.embedding.length > 0);
    const norm = d.embedding.reduce((s, v) => s + v * v, 0);
    assert.ok(Math.abs(norm - 1) < 1e-4, `embedding ${i} has squared norm ${norm}`);
  }
  assert.ok(res.usage.prompt_tokens > 0);
  results.embeddings = res.usage;
});

test('audio.transcriptions.create', async () => {
  const res = await client.audio.transcriptions.create({
    model: process.env.COCOON_SPEECH_MODEL,
    file: await toFile(wav(3.2), 'voice.wav', { type: 'audio/wav' }),
    language: 'en',
  });
  assert.match(res.text, /fake transcription of 3\.20 seconds/);
  assert.equal(res.usage.type, 'duration');
  assert.equal(res.usage.seconds, 4);
  results.transcription = res.usage;
});

test('a model asked of an endpoint it does not serve', async () => {
  await assert.rejects(
    client.embeddings.create({ model: process.env.COCOON_SPEECH_MODEL, input: 'x' }),
    (err) => err instanceof OpenAI.NotFoundError && err.code === 'unsupported_endpoint',
  );
});

test('write the results', () => {
  writeFileSync(process.env.COCOON_RESULTS, JSON.stringify(results));
});
