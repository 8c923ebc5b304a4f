// Interop client (Node, @grpc/grpc-js): usage `node client.js HOST PORT PROTO_ROOT`.
// Streams GenerateStream, applies token/backspace events (text edits in Unicode code points) and checks
// the result against the finished event and against a unary Generate of the same request. Prints one JSON
// line and exits 0 on success, 1 on any mismatch or error.
'use strict';
const path = require('path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

const [host, port, protoRoot] = process.argv.slice(2);
const def = protoLoader.loadSync('seqmatch/v1/generation.proto', {
  includeDirs: [protoRoot], keepCase: true, longs: String, enums: String, defaults: true, oneofs: true,
});
const pkg = grpc.loadPackageDefinition(def).seqmatch.v1;
const client = new pkg.Generation(`${host}:${port}`, grpc.credentials.createInsecure());
const request = { text: 'Hi', max_new_tokens: 32, seed: '3' };
const deadline = () => new Date(Date.now() + 30000);

function fail(msg) {
  console.log(JSON.stringify({ ok: false, error: msg }));
  process.exit(1);
}

let codePoints = [];
const ids = [];
let finished = null;
let backspaces = 0;
const call = client.GenerateStream(request, { deadline: deadline() });
call.on('data', (e) => {
  if (e.token) {
    codePoints = codePoints.slice(0, codePoints.length - e.token.delete_chars).concat(Array.from(e.token.text));
    ids.push(e.token.id);
  } else if (e.backspace) {
    ids.splice(ids.length - e.backspace.count, e.backspace.count);
    codePoints = codePoints.slice(0, codePoints.length - e.backspace.delete_chars);
    backspaces += e.backspace.count;
  } else if (e.finished) {
    finished = e.finished;
    codePoints = codePoints.concat(Array.from(finished.tail));
  }
});
call.on('error', (err) => fail(`stream failed: ${err.code} ${err.details}`));
call.on('end', () => {
  if (!finished) fail('stream ended without a finished event');
  const text = codePoints.join('');
  if (text !== finished.text) fail(`applied text ${JSON.stringify(text)} != finished ${JSON.stringify(finished.text)}`);
  if (ids.join(',') !== finished.generated_ids.join(',')) fail('applied ids differ from finished.generated_ids');
  client.Generate(request, { deadline: deadline() }, (err, r) => {
    if (err) fail(`unary failed: ${err.code} ${err.details}`);
    if (r.text !== text || r.generated_ids.join(',') !== ids.join(',')) fail('stream and unary differ');
    console.log(JSON.stringify({ ok: true, tokens: ids.length, backspaces, reason: finished.reason, text }));
    client.close();
  });
});
