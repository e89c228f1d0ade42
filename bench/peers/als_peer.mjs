// Drive aws-local-stepfunctions (Node) on one bench workload.
//   node als_peer.mjs PEER_DIR WORKLOADS_DIR NAME REPEAT BUDGET_SECONDS
// PEER_DIR is where `npm install aws-local-stepfunctions` ran (see setup.sh). Prints one JSON
// object: {engine, version, status, output, times}; the first run is included in `times` (it is
// the warm-up when more runs fit the budget). NAME "validate-big" times the constructor, which
// is where this engine validates a definition.
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

// aws-local-stepfunctions 3 targets Node >= 22; Node 20 lacks only this one built-in it uses.
if (!Promise.withResolvers) {
  Promise.withResolvers = () => {
    let resolve;
    let reject;
    const promise = new Promise((res, rej) => { resolve = res; reject = rej; });
    return { promise, resolve, reject };
  };
}

const [peerDir, workloads, name, repeatText, budgetText] = process.argv.slice(2);
const require = createRequire(join(peerDir, 'package.json'));
const { StateMachine } = require('aws-local-stepfunctions');
const version = JSON.parse(
  readFileSync(join(peerDir, 'node_modules', 'aws-local-stepfunctions', 'package.json'), 'utf8'),
).version;
const definition = JSON.parse(readFileSync(join(workloads, `${name}.asl.json`), 'utf8'));
const inputText = readFileSync(join(workloads, `${name}.input.json`), 'utf8');
const repeat = Number(repeatText);
const budget = Number(budgetText);

// This engine hands a Task override the state's effective input and takes its return value as
// the task result; wrapping it as lambda:invoke does (Payload, StatusCode) keeps OutputPath
// `$.Payload` meaningful, i.e. the same identity handler the other engines get.
const identity = async (input) => ({ ExecutedVersion: '$LATEST', Payload: input.Payload, StatusCode: 200 });
const handlers = {};
for (const [stateName, state] of Object.entries(definition.States)) {
  if (state.Type === 'Task') handlers[stateName] = identity;
}

// Built once, as a user would reuse it; validation is timed separately (validate-big).
const machine = name === 'validate-big' ? null : new StateMachine(definition);

async function once() {
  const start = process.hrtime.bigint();
  if (name === 'validate-big') {
    new StateMachine(definition);
    return [Number(process.hrtime.bigint() - start) / 1e9, null];
  }
  const execution = machine.run(JSON.parse(inputText), { overrides: { taskResourceLocalHandlers: handlers } });
  const output = await execution.result;
  return [Number(process.hrtime.bigint() - start) / 1e9, output];
}

const times = [];
let output = null;
let status = 'SUCCEEDED';
let error = null;
const began = process.hrtime.bigint();
try {
  for (;;) {
    const [seconds, out] = await once();
    times.push(seconds);
    output = out;
    const elapsed = Number(process.hrtime.bigint() - began) / 1e9;
    if (times.length > repeat || elapsed + seconds > budget) break;
  }
} catch (e) {
  status = 'FAILED';
  error = String(e && e.message ? e.message : e).slice(0, 300);
}
process.stdout.write(JSON.stringify({ engine: 'aws-local-stepfunctions', version, status, output, error, times }));
