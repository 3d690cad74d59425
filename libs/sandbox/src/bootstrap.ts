/**
 * The code that builds a script's world inside a fresh isolate context, before the script's module is
 * evaluated. It is plain JavaScript compiled once per isolate (see pool.ts) and run once per context.
 *
 * The only thing of the host it ever holds is `send`, an isolated-vm Callback: an ordinary function of
 * this context that posts (op, id, payload) strings to the host and returns nothing. It is captured in
 * this closure and never placed anywhere the script can reach. Even if a script got hold of it, it
 * could only send the same messages ctx sends, which the host validates one by one. No
 * isolated-vm Reference is ever given to the isolate (a Reference to a host function is a direct path
 * to the host's Function constructor).
 *
 * Everything the host answers arrives as a JSON string and is parsed here, so inputs and tool results
 * are objects of this context's own realm. Everything that leaves is a string built here by a bounded
 * walk, so the host never touches a script object, getter, proxy or thenable.
 *
 * Sizes are checked here, before `send`: sending copies the payload into the host's memory, and a
 * script can build a 64 MiB string in a few milliseconds and pass it to ctx again and again. Every
 * argument of every host call is held to its bound (limits.ts HOST_CALL_BOUNDS and the attempt's
 * limits), the payloads of calls awaiting an answer are bounded together, and logs are cut to what
 * the log limit can still take. A refusal is an error with a stable `code` the script can catch. The
 * host checks everything again (it never trusts this code), and also checks the characters.
 *
 * The script runs after this code in the same realm and may rewrite any global or prototype. The
 * intrinsics used below are therefore captured first and called through Reflect.apply, and internal
 * state lives in null-prototype objects. That protects the script's own run from itself; the host's
 * safety never depends on it.
 */
export const BOOTSTRAP_FILENAME = 'mendflow:bootstrap';

/** The file name user scripts are compiled under; locations and stack filtering rely on it. */
export const SCRIPT_FILENAME = 'script.js';

/** Globals removed from every context (see the comment in the source for why each goes). */
export const REMOVED_GLOBALS = [
  'WebAssembly',
  'SharedArrayBuffer',
  'Atomics',
  'FinalizationRegistry',
  'WeakRef',
] as const;

export const BOOTSTRAP_SOURCE = String.raw`(function bootstrap() {
'use strict';
const G = globalThis;
const ObjectCreate = Object.create;
const ObjectFreeze = Object.freeze;
const ObjectKeys = Object.keys;
const ObjectDefineProperty = Object.defineProperty;
const ObjectHasOwn = Object.hasOwn;
const ReflectApply = Reflect.apply;
const ReflectConstruct = Reflect.construct;
const ArrayIsArray = Array.isArray;
const JSONParse = JSON.parse;
const JSONStringify = JSON.stringify;
const StringCtor = String;
const NumberIsFinite = Number.isFinite;
const MathImul = Math.imul;
const PromiseCtor = Promise;
const PromiseResolve = Promise.resolve;
const PromiseReject = Promise.reject;
const PromisePrototypeThen = Promise.prototype.then;
const ErrorCtor = Error;
const TypeErrorCtor = TypeError;
const RangeErrorCtor = RangeError;
const OrigDate = Date;
const DatePrototype = Date.prototype;
const DatePrototypeToString = Date.prototype.toString;
const DatePrototypeGetTime = Date.prototype.getTime;
const StringPrototypeSlice = String.prototype.slice;
const StringPrototypeIndexOf = String.prototype.indexOf;
const StringPrototypeToLowerCase = String.prototype.toLowerCase;
const StringPrototypeToUpperCase = String.prototype.toUpperCase;
const WeakMapCtor = WeakMap;
const WeakMapPrototypeGet = WeakMap.prototype.get;
const WeakMapPrototypeSet = WeakMap.prototype.set;

// WebAssembly: compiled code and growable memories outside the JS heap accounting, and no script
// needs it. SharedArrayBuffer/Atomics: Atomics.wait blocks the isolate's thread. WeakRef and
// FinalizationRegistry: garbage collection is observable, and a finalizer of one attempt could run
// while the next attempt uses the same isolate.
const REMOVED = ${JSON.stringify(REMOVED_GLOBALS)};
for (let i = 0; i < REMOVED.length; i++) delete G[REMOVED[i]];

function defineHidden(target, key, value) {
  const d = ObjectCreate(null);
  d.value = value; d.writable = true; d.configurable = true; d.enumerable = false;
  ObjectDefineProperty(target, key, d);
}
function defineConstant(target, key, value, enumerable) {
  const d = ObjectCreate(null);
  d.value = value; d.writable = false; d.configurable = false; d.enumerable = enumerable === true;
  ObjectDefineProperty(target, key, d);
}
function slice(s, a, b) { return ReflectApply(StringPrototypeSlice, s, b === undefined ? [a] : [a, b]); }
function indexOf(s, x) { return ReflectApply(StringPrototypeIndexOf, s, [x]); }
function lower(s) { return ReflectApply(StringPrototypeToLowerCase, s, []); }
function upper(s) { return ReflectApply(StringPrototypeToUpperCase, s, []); }
function weakGet(map, key) { return ReflectApply(WeakMapPrototypeGet, map, [key]); }
function weakSet(map, key, value) { ReflectApply(WeakMapPrototypeSet, map, [key, value]); }
function resolved(value) { return ReflectApply(PromiseResolve, PromiseCtor, [value]); }
function rejected(error) { return ReflectApply(PromiseReject, PromiseCtor, [error]); }
function then(promise, onOk, onErr) { return ReflectApply(PromisePrototypeThen, promise, [onOk, onErr]); }

const MAX_TEXT = 16384;
function truncate(s) { return s.length > MAX_TEXT ? slice(s, 0, MAX_TEXT) + '…' : s; }
function safeString(v) {
  if (typeof v === 'string') return truncate(v);
  try { return truncate(StringCtor(v)); } catch (e) { return '[unprintable value]'; }
}
function safeGet(o, k) {
  try { const v = o[k]; return v === undefined ? undefined : safeString(v); } catch (e) { return undefined; }
}

return function setup(send, configJson) {
  const config = JSONParse(configJson);
  let now = config.now;
  let hostCalls = 0;
  let logChars = 0;
  let logClosed = false;
  let nextId = 1;
  let reported = false;
  const pending = ObjectCreate(null);
  // Errors the script constructed from ctx.errors.*, and errors that carry a host-assigned code. Kept
  // here rather than read from properties, so a script cannot dress its own error up as either.
  const declared = new WeakMapCtor();
  const hostCoded = new WeakMapCtor();

  // ---- errors with a code the script (and the attempt's error) can rely on ------------------------
  function setCode(e, code) {
    const d = ObjectCreate(null);
    d.value = code; d.writable = true; d.configurable = true; d.enumerable = true;
    ObjectDefineProperty(e, 'code', d);
    weakSet(hostCoded, e, code);
  }
  function coded(Ctor, message, code) {
    const e = new Ctor(message);
    setCode(e, code);
    return e;
  }
  function invalidRequest(message) { return coded(TypeErrorCtor, message, 'INVALID_REQUEST'); }
  /** For toJson: what a value that does not fit becomes, for a call whose size error has sizeCode. */
  function valueErrors(sizeCode) {
    return function (kind, message) {
      if (kind === 'shape') return coded(TypeErrorCtor, message, 'INVALID_VALUE');
      return coded(RangeErrorCtor, message, kind === 'depth' ? 'VALUE_TOO_DEEP' : sizeCode);
    };
  }

  // ---- JSON out: a bounded walk that only ever produces a string --------------------------------
  // fail(kind, message) makes the error: kind is 'size', 'depth' or 'shape' (BigInt, circular).
  function toJson(root, maxChars, maxDepth, what, fail) {
    let out = '';
    const stack = ObjectCreate(null);
    function emit(s) {
      out += s;
      if (out.length > maxChars) throw fail('size', what + ' is larger than ' + maxChars + ' bytes');
    }
    function walk(value, depth, key) {
      let v = value;
      if (v !== null && typeof v === 'object') {
        const toJSON = v.toJSON;
        if (typeof toJSON === 'function') v = ReflectApply(toJSON, v, [key]);
      }
      switch (typeof v) {
        case 'string':
          if (v.length > maxChars) throw fail('size', what + ' is larger than ' + maxChars + ' bytes');
          emit(JSONStringify(v));
          return true;
        case 'number': emit(NumberIsFinite(v) ? JSONStringify(v) : 'null'); return true;
        case 'boolean': emit(v ? 'true' : 'false'); return true;
        case 'bigint': throw fail('shape', what + ' contains a BigInt, which JSON cannot represent');
        case 'object':
          if (v === null) { emit('null'); return true; }
          break;
        default: return false;
      }
      if (depth >= maxDepth) throw fail('depth', what + ' is nested deeper than ' + maxDepth + ' levels');
      for (let i = 0; i < depth; i++) {
        if (stack[i] === v) throw fail('shape', what + ' contains a circular reference');
      }
      stack[depth] = v;
      if (ArrayIsArray(v)) {
        const n = v.length;
        emit('[');
        for (let i = 0; i < n; i++) {
          if (i > 0) emit(',');
          if (!walk(v[i], depth + 1, StringCtor(i))) emit('null');
        }
        emit(']');
      } else {
        const keys = ObjectKeys(v);
        emit('{');
        let first = true;
        for (let i = 0; i < keys.length; i++) {
          const k = keys[i];
          if (k.length > maxChars) throw fail('size', what + ' is larger than ' + maxChars + ' bytes');
          const saved = out;
          emit((first ? '' : ',') + JSONStringify(k) + ':');
          if (walk(v[k], depth + 1, k)) first = false; else out = saved;
        }
        emit('}');
      }
      stack[depth] = undefined;
      return true;
    }
    return walk(root, 0, '') ? out : undefined;
  }
  function plainErrors(kind, message) {
    return kind === 'shape' ? new TypeErrorCtor(message) : new RangeErrorCtor(message);
  }

  // ---- describing a thrown value, as a string -----------------------------------------------------
  function describe(e) {
    const d = ObjectCreate(null);
    if ((typeof e === 'object' && e !== null) || typeof e === 'function') {
      d.name = safeGet(e, 'name');
      d.message = safeGet(e, 'message');
      d.stack = safeGet(e, 'stack');
      const cls = weakGet(declared, e);
      if (cls !== undefined) d.declaredClass = cls;
      const code = weakGet(hostCoded, e);
      if (code !== undefined) d.code = code;
      if (d.name === undefined && d.message === undefined) {
        d.name = 'Error';
        d.message = 'Script threw a non-Error value: ' + safeString(e);
      }
    } else {
      d.name = 'Error';
      d.message = 'Script threw a non-Error value: ' + safeString(e);
    }
    return JSONStringify(d);
  }

  function report(op, payload) {
    if (reported) return;
    reported = true;
    send(op, 0, payload);
  }
  function fail(e) { report('error', describe(e)); }

  // ---- the clock and randomness the host chose for this attempt ----------------------------------
  const DateShim = function Date(a0, a1, a2, a3, a4, a5, a6) {
    if (new.target === undefined) return ReflectApply(DatePrototypeToString, ReflectConstruct(OrigDate, [now], OrigDate), []);
    if (arguments.length === 0) return ReflectConstruct(OrigDate, [now], new.target);
    return ReflectConstruct(OrigDate, arguments, new.target);
  };
  defineConstant(DateShim, 'prototype', DatePrototype);
  defineHidden(DateShim, 'now', function now_() { return now; });
  defineHidden(DateShim, 'parse', OrigDate.parse);
  defineHidden(DateShim, 'UTC', OrigDate.UTC);
  defineHidden(DatePrototype, 'constructor', DateShim);
  defineHidden(G, 'Date', DateShim);

  // sfc32, seeded through splitmix32 from the host's recorded seed.
  let seed = config.seed >>> 0;
  function splitmix() {
    seed = (seed + 0x9e3779b9) | 0;
    let z = seed;
    z = MathImul(z ^ (z >>> 16), 0x85ebca6b);
    z = MathImul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  }
  let ra = splitmix(), rb = splitmix(), rc = splitmix(), rd = splitmix();
  defineHidden(Math, 'random', function random() {
    const t = (((ra + rb) | 0) + rd) | 0;
    rd = (rd + 1) | 0;
    ra = rb ^ (rb >>> 9);
    rb = (rc + (rc << 3)) | 0;
    rc = (rc << 21) | (rc >>> 11);
    rc = (rc + t) | 0;
    return (t >>> 0) / 4294967296;
  });

  // ---- logs -----------------------------------------------------------------------------------------
  function formatValue(v) {
    switch (typeof v) {
      case 'string': return v;
      case 'undefined': return 'undefined';
      case 'bigint': return StringCtor(v) + 'n';
      case 'function': return '[Function: ' + (safeGet(v, 'name') || 'anonymous') + ']';
      case 'object': {
        if (v === null) return 'null';
        let stack;
        try { stack = v.stack; } catch (e) { stack = undefined; }
        if (typeof stack === 'string') return truncate(stack);
        try {
          const json = toJson(v, MAX_TEXT, 8, 'The logged value', plainErrors);
          return json === undefined ? safeString(v) : json;
        } catch (e) {
          return '[unserializable object: ' + safeGet(e, 'message') + ']';
        }
      }
      default: return safeString(v);
    }
  }
  function emitLog(level, message, hasData, data) {
    if (logClosed) return;
    if (message.length > config.maxLogChars) message = slice(message, 0, config.maxLogChars + 1);
    let payload = '{"level":"' + level + '","message":' + JSONStringify(message);
    if (hasData) {
      let json;
      try { json = toJson(data, config.maxLogChars, 32, 'The log data', plainErrors); }
      catch (e) { json = JSONStringify('[unserializable data: ' + safeGet(e, 'message') + ']'); }
      if (json !== undefined) payload += ',"data":' + json;
    }
    payload += '}';
    logChars += payload.length;
    if (logChars > config.maxLogChars) {
      // Past the bound nothing more is sent; the host ends the attempt with the log limit.
      logClosed = true;
      send('log.overflow', 0, '');
      return;
    }
    send('log', 0, payload);
  }
  // Arguments past the log bound could never be sent: they are not even formatted (and a message of
  // many huge strings never exceeds the isolate's maximum string length).
  function joinValues(args, from, first, between) {
    let message = '';
    for (let i = from; i < args.length && message.length <= config.maxLogChars; i++) {
      message += (i > from ? between : first) + formatValue(args[i]);
    }
    return message;
  }
  function consoleMethod(level) {
    return function () {
      emitLog(level, joinValues(arguments, 0, '', ' '), false, undefined);
    };
  }
  function ctxLogMethod(level) {
    return function (message, data) {
      emitLog(level, formatValue(message), arguments.length > 1 && data !== undefined, data);
    };
  }
  const consoleObject = {
    log: consoleMethod('info'),
    info: consoleMethod('info'),
    debug: consoleMethod('debug'),
    trace: consoleMethod('debug'),
    dir: consoleMethod('info'),
    warn: consoleMethod('warn'),
    error: consoleMethod('error'),
    assert: function (condition) {
      if (condition) return;
      emitLog('error', 'Assertion failed' + joinValues(arguments, 1, ': ', ' '), false, undefined);
    },
  };
  defineHidden(G, 'console', consoleObject);

  // ---- host calls -------------------------------------------------------------------------------------
  const OP_LABELS = ObjectCreate(null);
  OP_LABELS.secret = 'ctx.secrets.get';
  OP_LABELS['kv.get'] = 'ctx.kv.get';
  OP_LABELS['kv.set'] = 'ctx.kv.set';
  OP_LABELS['kv.delete'] = 'ctx.kv.delete';
  OP_LABELS['step.get'] = 'ctx.step';
  OP_LABELS['step.put'] = 'ctx.step';
  OP_LABELS.emit = 'ctx.emit';
  OP_LABELS.fetch = 'ctx.fetch';
  OP_LABELS.wait = 'ctx.waitForApproval / ctx.sleep';
  // Characters of the payloads sent and not yet answered (see HOST_CALL_BOUNDS.maxInFlightChars).
  let inFlightChars = 0;
  function hostCall(op, payload, transform) {
    const size = payload.length;
    if (inFlightChars > 0 && inFlightChars + size > config.maxInFlightChars) {
      return rejected(coded(RangeErrorCtor, OP_LABELS[op] + ': the host calls still waiting for an answer carry ' +
        inFlightChars + ' characters, and with this one (' + size + ') they would carry more than ' +
        config.maxInFlightChars + '; await some of them before starting more', 'IN_FLIGHT_LIMIT'));
    }
    hostCalls++;
    // Past the bound the host ends the attempt; sending more would only queue work it will drop.
    if (hostCalls > config.maxHostCalls + 1) return new PromiseCtor(function () {});
    // Created here, in the script's call, so a failure's stack points at the script's line.
    const site = new ErrorCtor('');
    const id = nextId++;
    return new PromiseCtor(function (resolve, reject) {
      const entry = ObjectCreate(null);
      entry.resolve = resolve;
      entry.reject = reject;
      entry.site = site;
      entry.transform = transform;
      entry.size = size;
      pending[id] = entry;
      inFlightChars += size;
      send(op, id, payload);
    });
  }
  function hostError(site, info) {
    const e = site;
    const name = typeof info.name === 'string' ? info.name : 'Error';
    const message = typeof info.message === 'string' ? info.message : '';
    defineHidden(e, 'message', message);
    defineHidden(e, 'name', name);
    if (typeof info.code === 'string') setCode(e, info.code);
    let stack;
    try { stack = e.stack; } catch (err) { stack = undefined; }
    if (typeof stack === 'string') {
      const nl = indexOf(stack, '\n');
      defineHidden(e, 'stack', name + ': ' + message + (nl >= 0 ? slice(stack, nl) : ''));
    }
    return e;
  }
  function deliver(id, json) {
    const entry = pending[id];
    if (entry === undefined) return;
    delete pending[id];
    inFlightChars -= entry.size;
    const msg = JSONParse(json);
    if (typeof msg.now === 'number') now = msg.now;
    // A resume went live here: the calls and logs before belong to earlier attempts' budgets.
    if (msg.fresh === true) { hostCalls = 0; logChars = 0; logClosed = false; }
    if (msg.ok !== true) { entry.reject(hostError(entry.site, msg.error)); return; }
    let value = ObjectHasOwn(msg, 'value') ? msg.value : undefined;
    if (entry.transform !== undefined) {
      try { value = entry.transform(value); } catch (e) { entry.reject(e); return; }
    }
    entry.resolve(value);
  }

  // ---- ctx.fetch --------------------------------------------------------------------------------------
  function headersTooLarge(message) { return coded(RangeErrorCtor, 'ctx.fetch: ' + message, 'HEADERS_TOO_LARGE'); }
  function copyHeaders(source, target) {
    const budget = ObjectCreate(null);
    budget.count = 0;
    budget.chars = 0;
    if (ArrayIsArray(source)) {
      if (source.length > config.maxHeaders) throw headersTooLarge('more than ' + config.maxHeaders + ' headers');
      for (let i = 0; i < source.length; i++) {
        const pair = source[i];
        if (!ArrayIsArray(pair)) throw invalidRequest('ctx.fetch: init.headers must be an object or an array of [name, value] pairs');
        addHeader(target, StringCtor(pair[0]), StringCtor(pair[1]), budget);
      }
      return;
    }
    if (typeof source !== 'object') throw invalidRequest('ctx.fetch: init.headers must be an object or an array of [name, value] pairs');
    const keys = ObjectKeys(source);
    if (keys.length > config.maxHeaders) throw headersTooLarge('more than ' + config.maxHeaders + ' headers');
    for (let i = 0; i < keys.length; i++) {
      const value = source[keys[i]];
      if (typeof value === 'function' || value === undefined) continue;
      addHeader(target, keys[i], StringCtor(value), budget);
    }
  }
  function addHeader(target, name, value, budget) {
    if (++budget.count > config.maxHeaders) throw headersTooLarge('more than ' + config.maxHeaders + ' headers');
    if (name.length > config.maxHeaderNameChars) throw headersTooLarge('a header name is longer than ' + config.maxHeaderNameChars + ' characters');
    if (value.length > config.maxHeaderValueChars) throw headersTooLarge('the value of header "' + name + '" is longer than ' + config.maxHeaderValueChars + ' characters');
    budget.chars += name.length + value.length;
    if (budget.chars > config.maxHeadersChars) throw headersTooLarge('the headers are longer than ' + config.maxHeadersChars + ' characters together');
    const key = lower(name);
    target[key] = target[key] === undefined ? value : target[key] + ', ' + value;
  }
  const headersPrototype = ObjectFreeze({
    get: function get(name) {
      const key = lower(StringCtor(name));
      return ObjectHasOwn(this, key) ? this[key] : null;
    },
    has: function has(name) { return ObjectHasOwn(this, lower(StringCtor(name))); },
    forEach: function forEach(callback) {
      const keys = ObjectKeys(this);
      for (let i = 0; i < keys.length; i++) callback(this[keys[i]], keys[i], this);
    },
  });
  function toResponse(v) {
    const headers = ObjectCreate(headersPrototype);
    const names = ObjectKeys(v.headers);
    for (let i = 0; i < names.length; i++) defineConstant(headers, names[i], v.headers[names[i]], true);
    const body = v.body;
    return {
      ok: v.status >= 200 && v.status <= 299,
      status: v.status,
      statusText: v.statusText,
      url: v.url,
      redirected: v.redirected === true,
      headers: headers,
      text: async function text() { return body; },
      json: async function json() { return JSONParse(body); },
    };
  }
  function fetchPayload(input, init) {
    let url;
    if (typeof input === 'string') url = input;
    else if (input !== null && typeof input === 'object' && typeof input.url === 'string') url = input.url;
    else if (input !== null && typeof input === 'object' && typeof input.href === 'string') url = input.href;
    else throw invalidRequest('ctx.fetch(url, init): url must be a string');
    if (url.length > config.maxUrlChars) throw coded(RangeErrorCtor, 'ctx.fetch: the URL is longer than ' + config.maxUrlChars + ' characters', 'URL_TOO_LONG');
    const req = ObjectCreate(null);
    req.url = url;
    req.method = 'GET';
    req.headers = ObjectCreate(null);
    req.redirect = 'follow';
    if (init !== undefined && init !== null) {
      if (typeof init !== 'object') throw invalidRequest('ctx.fetch(url, init): init must be an object');
      const method = init.method;
      if (method !== undefined) {
        if (typeof method !== 'string') throw invalidRequest('ctx.fetch: init.method must be a string');
        if (method.length > config.maxMethodChars) throw invalidRequest('ctx.fetch: init.method is longer than ' + config.maxMethodChars + ' characters');
        req.method = upper(method);
      }
      const headers = init.headers;
      if (headers !== undefined && headers !== null) copyHeaders(headers, req.headers);
      const body = init.body;
      if (body !== undefined && body !== null) {
        if (typeof body !== 'string') throw invalidRequest('ctx.fetch: init.body must be a string; use JSON.stringify(data) to send JSON');
        if (body.length > config.maxFetchBodyChars) throw requestTooLarge('the request body is longer than ' + config.maxFetchBodyChars + ' characters');
        req.body = body;
      }
      const redirect = init.redirect;
      if (redirect !== undefined) {
        if (redirect !== 'follow' && redirect !== 'manual' && redirect !== 'error') throw invalidRequest('ctx.fetch: init.redirect must be "follow", "manual" or "error"');
        req.redirect = redirect;
      }
    }
    const json = JSONStringify(req);
    if (json.length > config.maxFetchRequestChars) throw requestTooLarge('the request is longer than ' + config.maxFetchRequestChars + ' characters as JSON');
    return json;
  }
  function requestTooLarge(message) { return coded(RangeErrorCtor, 'ctx.fetch: ' + message, 'REQUEST_TOO_LARGE'); }
  function fetch(input, init) {
    let payload;
    try { payload = fetchPayload(input, init); } catch (e) { return rejected(e); }
    return hostCall('fetch', payload, toResponse);
  }

  // ---- ctx.secrets, ctx.kv, ctx.step --------------------------------------------------------------
  /** A name or key: a non-empty string (INVALID_REQUEST) of at most max characters (NAME_TOO_LONG). */
  function checkName(value, max, fn, what) {
    if (typeof value !== 'string' || value.length === 0) throw invalidRequest(fn + ': ' + what + ' must be a non-empty string of at most ' + max + ' characters');
    if (value.length > max) throw coded(RangeErrorCtor, fn + ': ' + what + ' is longer than ' + max + ' characters', 'NAME_TOO_LONG');
  }
  function secretsGet(name) {
    try { checkName(name, config.maxSecretNameLength, 'ctx.secrets.get(name)', 'name'); } catch (e) { return rejected(e); }
    return hostCall('secret', JSONStringify(name), undefined);
  }
  function checkKey(key, fn) { checkName(key, config.maxKvKeyLength, fn, 'key'); }
  function kvGet(key) {
    try { checkKey(key, 'ctx.kv.get'); } catch (e) { return rejected(e); }
    return hostCall('kv.get', JSONStringify(key), undefined);
  }
  function kvSet(key, value) {
    let json;
    try {
      checkKey(key, 'ctx.kv.set');
      json = toJson(value, config.maxKvValueChars, config.maxDepth, 'The value for ctx.kv.set', valueErrors('KV_VALUE_TOO_LARGE'));
      if (json === undefined) throw coded(TypeErrorCtor, 'ctx.kv.set: the value must be JSON-serializable, not ' + typeof value, 'INVALID_VALUE');
    } catch (e) { return rejected(e); }
    return hostCall('kv.set', '{"key":' + JSONStringify(key) + ',"value":' + json + '}', function () { return undefined; });
  }
  function kvDelete(key) {
    try { checkKey(key, 'ctx.kv.delete'); } catch (e) { return rejected(e); }
    return hostCall('kv.delete', JSONStringify(key), function () { return undefined; });
  }
  const stepsRunning = ObjectCreate(null);
  async function runStep(name, fn) {
    const cached = await hostCall('step.get', JSONStringify(name), undefined);
    if (cached.found === true) return cached.value;
    const value = await fn();
    const json = toJson(value === undefined ? null : value, config.maxResultChars, config.maxDepth, 'The result of ctx.step("' + name + '")', valueErrors('STEP_RESULT_TOO_LARGE'));
    const stored = json === undefined ? 'null' : json;
    await hostCall('step.put', '{"name":' + JSONStringify(name) + ',"value":' + stored + '}', undefined);
    // The stored JSON copy, so the first run and every later cached run see the very same value.
    return JSONParse(stored);
  }
  function step(name, fn) {
    try { checkName(name, config.maxStepNameLength, 'ctx.step(name, fn)', 'name'); } catch (e) { return rejected(e); }
    if (typeof fn !== 'function') return rejected(invalidRequest('ctx.step(name, fn): fn must be a function'));
    // Two concurrent calls of one step share one execution instead of both running the body.
    const running = stepsRunning[name];
    if (running !== undefined) return running;
    const p = runStep(name, fn);
    stepsRunning[name] = p;
    const clear = function () { delete stepsRunning[name]; };
    then(p, clear, clear);
    return p;
  }

  // ---- ctx.emit ---------------------------------------------------------------------------------------
  // The name's pattern is the host's to check; here only what must be bounded before it is copied.
  function emitEvent(name, payload) {
    let json;
    try {
      checkName(name, config.maxEventNameChars, 'ctx.emit(name, payload)', 'name');
      json = payload === undefined ? 'null' : toJson(payload, config.maxKvValueChars, config.maxDepth, 'The payload of ctx.emit("' + name + '")', valueErrors('EVENT_PAYLOAD_TOO_LARGE'));
      if (json === undefined) throw coded(TypeErrorCtor, 'ctx.emit: the payload must be JSON-serializable, not ' + typeof payload, 'INVALID_VALUE');
    } catch (e) { return rejected(e); }
    return hostCall('emit', '{"name":' + JSONStringify(name) + ',"payload":' + json + '}', undefined);
  }

  // ---- ctx.waitForApproval, ctx.sleep, ctx.sleepUntil ------------------------------------------------
  // Only types and sizes are checked here (what must be bounded before it is copied); the host checks
  // the values (ranges, dates, caps against the manifest) against the script's clock.
  function waitCall(request) { return hostCall('wait', JSONStringify(request), undefined); }
  function approvalError(message) { return invalidRequest('ctx.waitForApproval: ' + message); }
  function copyCaps(caps) {
    if (caps === null || typeof caps !== 'object') throw approvalError('options.caps must be an object: { maxFetches?, hosts? }');
    const out = ObjectCreate(null);
    const maxFetches = caps.maxFetches;
    if (maxFetches !== undefined) {
      if (typeof maxFetches !== 'number') throw approvalError('options.caps.maxFetches must be a number');
      out.maxFetches = maxFetches;
    }
    const hosts = caps.hosts;
    if (hosts !== undefined) {
      if (!ArrayIsArray(hosts) || hosts.length > config.maxCapHosts) throw approvalError('options.caps.hosts must be an array of at most ' + config.maxCapHosts + ' host patterns');
      const list = [];
      for (let i = 0; i < hosts.length; i++) {
        const host = hosts[i];
        if (typeof host !== 'string' || host.length > config.maxCapHostChars) throw approvalError('options.caps.hosts must hold host patterns of at most ' + config.maxCapHostChars + ' characters');
        list[i] = host;
      }
      out.hosts = list;
    }
    return out;
  }
  function approvalRequest(options) {
    if (options === null || typeof options !== 'object') throw approvalError('options must be an object: { title, details?, timeoutMs?, caps? }');
    const request = ObjectCreate(null);
    request.kind = 'approval';
    const title = options.title;
    checkName(title, config.maxTitleChars, 'ctx.waitForApproval', 'options.title');
    request.title = title;
    const details = options.details;
    if (details !== undefined) {
      if (typeof details !== 'string') throw approvalError('options.details must be a string');
      if (details.length > config.maxDetailsChars) throw coded(RangeErrorCtor, 'ctx.waitForApproval: options.details is longer than ' + config.maxDetailsChars + ' characters', 'INVALID_REQUEST');
      request.details = details;
    }
    const timeoutMs = options.timeoutMs;
    if (timeoutMs !== undefined) {
      if (typeof timeoutMs !== 'number') throw approvalError('options.timeoutMs must be a number of milliseconds');
      request.timeoutMs = timeoutMs;
    }
    const caps = options.caps;
    if (caps !== undefined) request.caps = copyCaps(caps);
    return request;
  }
  function waitForApproval(options) {
    let request;
    try { request = approvalRequest(options); } catch (e) { return rejected(e); }
    return waitCall(request);
  }
  function sleep(ms) {
    if (typeof ms !== 'number') return rejected(invalidRequest('ctx.sleep(ms): ms must be a number of milliseconds'));
    const request = ObjectCreate(null);
    request.kind = 'sleep';
    request.ms = ms;
    return waitCall(request);
  }
  function sleepUntil(date) {
    let until = date;
    if (typeof date !== 'number' && typeof date !== 'string') {
      try { until = ReflectApply(DatePrototypeGetTime, date, []); }
      catch (e) { return rejected(invalidRequest('ctx.sleepUntil(date): date must be a Date, epoch milliseconds or an ISO-8601 string')); }
    }
    if (typeof until === 'string' && until.length > config.maxDateChars) return rejected(invalidRequest('ctx.sleepUntil(date): the date string is longer than ' + config.maxDateChars + ' characters'));
    const request = ObjectCreate(null);
    request.kind = 'sleepUntil';
    request.until = until;
    return waitCall(request);
  }

  // ---- ctx.errors ---------------------------------------------------------------------------------------
  function errorClass(name, cls) {
    const C = class extends ErrorCtor {
      constructor(message, options) {
        super(message, options);
        weakSet(declared, this, cls);
      }
    };
    defineConstant(C, 'name', name);
    defineHidden(C.prototype, 'name', name);
    return C;
  }

  // Each class is made on first use and then stays the same for the attempt (instanceof works): making
  // the three costs about 40 µs per attempt, and most scripts never use them.
  const errorClasses = ObjectCreate(null);
  function lazyErrorClass(name, cls) {
    return function () {
      const made = errorClasses[name];
      if (made !== undefined) return made;
      return (errorClasses[name] = errorClass(name, cls));
    };
  }
  function errorsObject() {
    const o = {};
    const names = [['TransientError', 'transient'], ['AuthError', 'auth'], ['LogicError', 'logic']];
    for (let i = 0; i < names.length; i++) {
      const d = ObjectCreate(null);
      d.get = lazyErrorClass(names[i][0], names[i][1]);
      d.enumerable = true; d.configurable = false;
      ObjectDefineProperty(o, names[i][0], d);
    }
    return ObjectFreeze(o);
  }
  const errors = errorsObject();

  const run = JSONParse(JSONStringify(config.run));
  const ctx = ObjectFreeze({
    run: ObjectFreeze(run),
    fetch: fetch,
    secrets: ObjectFreeze({ get: secretsGet }),
    kv: ObjectFreeze({ get: kvGet, set: kvSet, delete: kvDelete }),
    step: step,
    emit: emitEvent,
    waitForApproval: waitForApproval,
    sleep: sleep,
    sleepUntil: sleepUntil,
    log: ObjectFreeze({
      debug: ctxLogMethod('debug'),
      info: ctxLogMethod('info'),
      warn: ctxLogMethod('warn'),
      error: ctxLogMethod('error'),
    }),
    errors: errors,
  });

  // ---- the entry point --------------------------------------------------------------------------------
  let resultLimit;
  function resultErrors(kind, message) {
    if (kind === 'shape') return new TypeErrorCtor(message);
    resultLimit = message;
    return new RangeErrorCtor(message);
  }
  function succeed(value) {
    let json;
    try {
      json = toJson(value, config.maxResultChars, config.maxDepth, 'The result', resultErrors);
    } catch (e) {
      if (resultLimit !== undefined) {
        const d = ObjectCreate(null);
        d.name = 'LimitError';
        d.message = resultLimit;
        d.limit = 'result';
        report('error', JSONStringify(d));
      } else {
        fail(e);
      }
      return;
    }
    report('result', json === undefined ? '' : json);
  }
  function start(inputJson, namespace) {
    let main;
    try { main = namespace.default; } catch (e) { fail(e); return; }
    if (typeof main !== 'function') {
      const d = ObjectCreate(null);
      d.name = 'TypeError';
      d.message = 'The script must export a default function: export default async function run(input, ctx) { … }';
      report('error', JSONStringify(d));
      return;
    }
    const input = inputJson === '' ? undefined : JSONParse(inputJson);
    let result;
    try { result = ReflectApply(main, undefined, [input, ctx]); } catch (e) { fail(e); return; }
    let settled;
    try { settled = resolved(result); } catch (e) { fail(e); return; }
    then(settled, succeed, fail);
  }

  // The host holds a reference to this one function: "start" once, "deliver" per host answer, and
  // "noop", whose completion proves every earlier task and its microtasks have finished.
  return function control(kind, a, b) {
    if (kind === 'deliver') deliver(a, b);
    else if (kind === 'start') start(a, b);
  };
};
})()`;
