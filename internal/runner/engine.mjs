// engine.mjs hosts aws-local-stepfunctions for snapflow's local runner
// (internal/runner). Usage: node engine.mjs <path of aws-local-stepfunctions'
// build/main.node.esm.js>. It speaks newline-delimited JSON on stdin/stdout
// with the Go runner, which owns every Task and the clock:
//
//   Go -> node  {"op":"init","seq","now","speed","machines":{name: ASL}}
//               {"op":"start","seq","now","speed","exec","machine","input","context"}
//               {"op":"result","seq","now","speed","call","ok","value"|"error","cause"}
//               {"op":"fire","seq","now","speed","ids":[timer ids]}
//               {"op":"abort","seq","now","speed","exec"}
//   node -> Go  {"op":"ready","machines":{name:{tasks}}}   after init
//               {"op":"task","call","exec","state","resource","input"}
//               {"op":"timer","id","ms"}  {"op":"clear","id"}
//               {"op":"event","exec","type","state","stateType","index","error","cause","inBytes","outBytes"}
//               {"op":"done","exec","ok","output"|"error","cause","status"}
//               {"op":"ack","seq"}   once a message's effects have settled
//               {"op":"fatal","error"}
//
// Time: the engine's timers (Wait states, Retry intervals, Task and
// execution timeouts) and its Date are the Go runner's simulated clock.
// setTimeout registers a timer with Go, which fires it when the local AWS's
// clock reaches its deadline; every message from Go carries the simulated
// time and the clock's speed, from which Date.now() is extrapolated.

import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';

function send(msg) {
  process.stdout.write(JSON.stringify(msg) + '\n');
}

const major = Number(process.versions.node.split('.')[0]);
if (major < 22) {
  send({ op: 'fatal', error: `aws-local-stepfunctions needs Node.js >= 22; this is ${process.version}` });
  process.exit(3);
}

// ---- the simulated clock ----
let simBase = 0;
let realBase = performance.now();
let speed = 1;
let lastNow = 0;
function simNow() {
  const t = simBase + (performance.now() - realBase) * speed;
  lastNow = Math.max(lastNow, t);
  return lastNow;
}
function syncClock(msg) {
  if (typeof msg.now === 'number') {
    simBase = Math.max(msg.now, lastNow);
    realBase = performance.now();
    if (typeof msg.speed === 'number') speed = msg.speed;
  }
}
const RealDate = globalThis.Date;
class SimDate extends RealDate {
  constructor(...args) {
    if (args.length === 0) super(Math.floor(simNow()));
    else super(...args);
  }
  static now() {
    return Math.floor(simNow());
  }
}
globalThis.Date = SimDate;

// ---- timers on the simulated clock ----
let nextTimer = 1;
const timers = new Map();
class SimTimeout {
  constructor(id) { this.id = id; }
  ref() { return this; }
  unref() { return this; }
  hasRef() { return true; }
  refresh() { return this; }
  [Symbol.toPrimitive]() { return this.id; }
}
globalThis.setTimeout = (fn, ms, ...args) => {
  const id = nextTimer++;
  timers.set(id, () => fn(...args));
  send({ op: 'timer', id, ms: Math.max(0, Number(ms) || 0) });
  return new SimTimeout(id);
};
globalThis.clearTimeout = (t) => {
  const id = t instanceof SimTimeout ? t.id : Number(t);
  if (timers.delete(id)) send({ op: 'clear', id });
};

const { StateMachine } = await import(pathToFileURL(process.argv[2]).href);

// ---- state machines ----
const machines = new Map(); // name -> {sm, tasks: {state: resource}}

function collectTasks(def, out) {
  for (const [name, st] of Object.entries(def.States ?? {})) {
    if (st.Type === 'Task') out[name] = st.Resource;
    if (st.Type === 'Map') collectTasks(st.ItemProcessor ?? st.Iterator ?? {}, out);
    if (st.Type === 'Parallel') for (const b of st.Branches ?? []) collectTasks(b, out);
  }
  return out;
}

// ---- tasks: every one is answered by Go ----
let nextCall = 1;
const pendingCalls = new Map(); // call -> {resolve, reject}

function callTask(exec, state, resource, input) {
  const call = nextCall++;
  return new Promise((resolve, reject) => {
    pendingCalls.set(call, { resolve, reject });
    send({ op: 'task', call, exec, state, resource, input });
  });
}

function taskError(name, cause) {
  const err = new Error(cause ?? '');
  err.name = name;
  return err;
}

// ---- executions ----
const executions = new Map();

function describeError(err) {
  let e = err;
  if (e && e.name === 'ExecutionError' && e.cause) e = e.cause;
  if (e && e.name === 'ExecutionTimeoutError') return { error: 'States.Timeout', cause: 'The execution timed out', status: 'TIMED_OUT' };
  if (e && e.name === 'ExecutionAbortedError') return { error: 'States.Aborted', cause: 'The execution was aborted', status: 'ABORTED' };
  return { error: e?.name ?? 'States.Runtime', cause: String(e?.message ?? e ?? ''), status: 'FAILED' };
}

function jsonBytes(v) {
  if (v === undefined) return 0;
  try {
    return Buffer.byteLength(JSON.stringify(v) ?? '', 'utf8');
  } catch {
    return 0;
  }
}

function causeText(c) {
  if (c === undefined || c === null) return undefined;
  if (typeof c === 'string') return c;
  if (c instanceof Error) return c.message;
  return JSON.stringify(c);
}

function start(msg) {
  const m = machines.get(msg.machine);
  if (!m) {
    send({ op: 'done', exec: msg.exec, ok: false, error: 'States.Runtime', cause: `no state machine ${msg.machine}`, status: 'FAILED' });
    return;
  }
  const handlers = {};
  for (const [state, resource] of Object.entries(m.tasks)) {
    handlers[state] = (input) => callTask(msg.exec, state, resource, input);
  }
  const execution = m.sm.run(msg.input, {
    overrides: { taskResourceLocalHandlers: handlers },
    context: msg.context,
  });
  executions.set(msg.exec, execution);
  (async () => {
    for await (const ev of execution.eventLogs) {
      send({
        op: 'event',
        exec: msg.exec,
        type: ev.type,
        state: ev.state?.name,
        stateType: ev.state?.type,
        index: ev.index,
        error: ev.Error,
        cause: causeText(ev.Cause),
        // The sizes of the state's input and output as Step Functions
        // measures them against its 256 KiB limit (UTF-8 JSON).
        inBytes: jsonBytes(ev.state?.input),
        outBytes: jsonBytes(ev.state?.output),
      });
    }
  })().catch(() => {});
  execution.result.then(
    (output) => {
      executions.delete(msg.exec);
      send({ op: 'done', exec: msg.exec, ok: true, output: output ?? null, status: 'SUCCEEDED' });
    },
    (err) => {
      executions.delete(msg.exec);
      send({ op: 'done', exec: msg.exec, ok: false, ...describeError(err) });
    },
  );
}

function handle(msg) {
  switch (msg.op) {
    case 'init': {
      const out = {};
      for (const [name, def] of Object.entries(msg.machines)) {
        const sm = new StateMachine(def, { validationOptions: { checkArn: true, checkPaths: true } });
        const tasks = collectTasks(def, {});
        machines.set(name, { sm, tasks });
        out[name] = { tasks: Object.keys(tasks) };
      }
      send({ op: 'ready', machines: out });
      break;
    }
    case 'start':
      start(msg);
      break;
    case 'result': {
      const p = pendingCalls.get(msg.call);
      if (!p) break;
      pendingCalls.delete(msg.call);
      if (msg.ok) p.resolve(msg.value);
      else p.reject(taskError(msg.error, msg.cause));
      break;
    }
    case 'fire':
      for (const id of msg.ids) {
        const fn = timers.get(id);
        if (fn) {
          timers.delete(id);
          fn();
        }
      }
      break;
    case 'abort':
      executions.get(msg.exec)?.abort();
      break;
    default:
      send({ op: 'fatal', error: `unknown op ${msg.op}` });
  }
}

// Acknowledge a message once what it started has settled: the promise
// chains it resumed run as microtasks, which all drain before the second
// setImmediate. Until the ack, the Go runner counts the engine as busy and
// does not move the clock.
function ack(seq) {
  setImmediate(() => setImmediate(() => send({ op: 'ack', seq })));
}

const rl = createInterface({ input: process.stdin, crlfDelay: Infinity });
rl.on('line', (line) => {
  if (!line.trim()) return;
  let msg;
  try {
    msg = JSON.parse(line);
  } catch (err) {
    send({ op: 'fatal', error: `bad message: ${err.message}` });
    return;
  }
  syncClock(msg);
  try {
    handle(msg);
  } catch (err) {
    send({ op: 'fatal', error: `${msg.op}: ${err.message}` });
  }
  ack(msg.seq);
});
rl.on('close', () => process.exit(0));
