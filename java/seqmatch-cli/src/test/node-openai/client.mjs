// The official openai client against `seqmatch serve --http-port` (run by OpenAICompatTest).
// Usage: node client.mjs BASE_URL TOKEN MODEL EXPECTED.json
//   EXPECTED.json: {prompt, maxTokens, greedyText (backspace off), sampled: {seed, temperature, text},
//                   chat: [{role, content}], chatMaxTokens, chatGreedyText (backspace off)}
// Prints one JSON line; exits 1 on the first mismatch.
import fs from 'node:fs';
import OpenAI from 'openai';

const [baseURL, token, model, expectedFile] = process.argv.slice(2);
const want = JSON.parse(fs.readFileSync(expectedFile, 'utf8'));
const client = new OpenAI({ baseURL, apiKey: token, maxRetries: 0, timeout: 120000 });
const report = {};

function check(ok, what, got) {
  if (!ok) {
    console.log(JSON.stringify({ ok: false, what, got }));
    process.exit(1);
  }
}

// Models list.
const models = [];
for await (const m of client.models.list()) models.push(m.id);
check(models.includes(model), 'models.list names the model', models);

// Non-streamed greedy completion == `seqmatch generate --greedy --no-backspace` (the test model's greedy policy
// alternates a token and <bkspc>, so with deletions on its greedy text is empty).
const noBkspc = { allow_backspace: false };
const c = await client.completions.create({ model, prompt: want.prompt, max_tokens: want.maxTokens, temperature: 0,
  seqmatch: noBkspc });
check(c.choices[0].text === want.greedyText, 'greedy completion text', c.choices[0].text);
check(c.usage.completion_tokens > 0, 'usage.completion_tokens', c.usage);

// Streamed: the deltas join to the same text; the usage chunk comes last.
let joined = '';
let usage = null;
let finish = null;
const stream = await client.completions.create({
  model, prompt: want.prompt, max_tokens: want.maxTokens, temperature: 0, stream: true,
  stream_options: { include_usage: true }, seqmatch: noBkspc,
});
for await (const chunk of stream) {
  if (chunk.usage) usage = chunk.usage;
  for (const ch of chunk.choices) {
    joined += ch.text;
    if (ch.finish_reason) finish = ch.finish_reason;
  }
}
check(joined === want.greedyText, 'streamed deltas join to the greedy text', joined);
check(usage && usage.completion_tokens === c.usage.completion_tokens, 'stream usage', usage);
check(finish === c.choices[0].finish_reason, 'stream finish_reason', finish);

// Seeded sampling with deletions == `seqmatch generate --seed S --temperature T` (the same random stream).
const s = want.sampled;
const sampled = await client.completions.create({ model, prompt: want.prompt, max_tokens: want.maxTokens,
  temperature: s.temperature, seed: s.seed });
check(sampled.choices[0].text === s.text, 'seeded sampled text', sampled.choices[0].text);
let sampledJoined = '';
for await (const chunk of await client.completions.create({ model, prompt: want.prompt, max_tokens: want.maxTokens,
  temperature: s.temperature, seed: s.seed, stream: true })) {
  for (const ch of chunk.choices) sampledJoined += ch.text;
}
check(sampledJoined === s.text, 'streamed seeded sampled text', sampledJoined);

// Sampling with deletions: a plain client's deltas join to the final text (same seed, same result).
let deletions = 0;
for (let seed = 1; seed <= 3; seed++) {
  const body = { model, prompt: want.prompt, max_tokens: 32, temperature: 1.5, seed };
  const whole = await client.completions.create(body);
  deletions += whole.seqmatch.backspaces;
  let text = '';
  for await (const chunk of await client.completions.create({ ...body, stream: true })) {
    for (const ch of chunk.choices) text += ch.text;
  }
  check(text === whole.choices[0].text, `seed ${seed}: streamed text == final text`, { text, final: whole.choices[0].text });
}
report.deletions = deletions;
check(deletions > 0, 'the test model deletes tokens while sampling', deletions);

// Chat completions with the model's template.
const chat = await client.chat.completions.create({ model, messages: want.chat, max_tokens: want.chatMaxTokens,
  temperature: 0, seqmatch: noBkspc });
check(chat.choices[0].message.role === 'assistant', 'chat role', chat.choices[0].message);
check(chat.choices[0].message.content === want.chatGreedyText, 'chat greedy text', chat.choices[0].message.content);
let chatJoined = '';
for await (const chunk of await client.chat.completions.create({ model, messages: want.chat,
  max_tokens: want.chatMaxTokens, temperature: 0, stream: true, seqmatch: noBkspc })) {
  chatJoined += chunk.choices[0]?.delta?.content ?? '';
}
check(chatJoined === want.chatGreedyText, 'streamed chat text', chatJoined);

// A bad request: 400 with OpenAI's error object naming the field.
try {
  await client.completions.create({ model, prompt: want.prompt, top_p: 1.5 });
  check(false, 'top_p 1.5 must be refused', null);
} catch (e) {
  check(e instanceof OpenAI.BadRequestError && e.status === 400, 'BadRequestError 400', String(e));
  check(e.param === 'top_p' && typeof e.message === 'string' && e.type === 'invalid_request_error', 'error object', e.error);
  report.badRequest = e.message;
}

// A wrong token: 401.
try {
  await new OpenAI({ baseURL, apiKey: 'wrong', maxRetries: 0 }).models.list();
  check(false, 'a wrong token must be refused', null);
} catch (e) {
  check(e instanceof OpenAI.AuthenticationError && e.status === 401, 'AuthenticationError 401', String(e));
}

console.log(JSON.stringify({ ok: true, ...report }));
