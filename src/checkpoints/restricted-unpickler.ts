/**
 * A pickle reader that only builds data. It knows the opcodes of protocols 2–4 that plain
 * containers, numbers and strings use, and it resolves a global (class or function) only when the
 * caller's allow-list has it: any other global is refused at the GLOBAL opcode, naming it, before
 * anything is called. Nothing from the file is ever executed or evaluated.
 */
import { WeightscapeError } from '../errors.ts';

/** A pickled tuple (kept distinct from lists for the callers that care). */
export class PickleTuple extends Array<unknown> {}

/** What an allowed global does when the pickle calls it (REDUCE) with its arguments. */
export type AllowedGlobal = (args: unknown[]) => unknown;

export interface UnpickleOptions {
  /** 'module name' → implementation; everything else is refused. */
  globals: ReadonlyMap<string, AllowedGlobal>;
  /** Resolves a persistent id (PyTorch's storages). */
  persistentLoad: (pid: unknown) => unknown;
  /** Names the file in errors. */
  source: string;
}

/** A global the pickle named, resolved through the allow-list but not yet called. */
class GlobalRef {
  constructor(
    readonly qualifiedName: string,
    readonly implementation: AllowedGlobal,
  ) {}
}

const MARK = Symbol('mark');

export function unpickle(data: Uint8Array, { globals, persistentLoad, source }: UnpickleOptions): unknown {
  const fail = (problem: string): never => {
    throw new WeightscapeError('bad-file', `${source}: ${problem}`);
  };
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const decoder = new TextDecoder('utf-8', { fatal: false });
  const stack: unknown[] = [];
  const memo = new Map<number, unknown>();
  let p = 0;

  const need = (n: number) => {
    if (n < 0 || p + n > data.byteLength) fail(`pickle truncated at byte ${p} (needs ${n} more)`);
  };
  const u8 = () => {
    need(1);
    return data[p++]!;
  };
  const u16 = () => {
    need(2);
    const v = view.getUint16(p, true);
    p += 2;
    return v;
  };
  const u32 = () => {
    need(4);
    const v = view.getUint32(p, true);
    p += 4;
    return v;
  };
  const i32 = () => {
    need(4);
    const v = view.getInt32(p, true);
    p += 4;
    return v;
  };
  const bytesOf = (n: number) => {
    need(n);
    const b = data.subarray(p, p + n);
    p += n;
    return b;
  };
  const text = (n: number) => decoder.decode(bytesOf(n));
  const line = () => {
    const end = data.indexOf(0x0a, p);
    if (end < 0) fail('pickle truncated inside a text argument');
    const s = decoder.decode(data.subarray(p, end));
    p = end + 1;
    return s;
  };
  const pop = () => {
    if (stack.length === 0) fail('pickle pops an empty stack');
    return stack.pop();
  };
  const top = () => {
    if (stack.length === 0) fail('pickle reads an empty stack');
    return stack[stack.length - 1];
  };
  const popMark = (): unknown[] => {
    const at = stack.lastIndexOf(MARK);
    if (at < 0) fail('pickle has no MARK to pop to');
    const items = stack.splice(at);
    items.shift();
    return items;
  };
  const resolveGlobal = (module: string, name: string) => {
    const qualified = `${module} ${name}`;
    const implementation = globals.get(qualified);
    if (implementation === undefined) {
      fail(
        `refusing pickle global '${module}.${name}': only tensor state dicts are accepted (weightscape never runs code from a checkpoint)`,
      );
    }
    return new GlobalRef(qualified, implementation!);
  };
  const setItems = (target: unknown, items: unknown[]) => {
    if (!(target instanceof Map)) fail('pickle sets items on something that is not a dict');
    for (let i = 0; i + 1 < items.length; i += 2) (target as Map<unknown, unknown>).set(items[i], items[i + 1]);
  };
  const append = (target: unknown, items: unknown[]) => {
    if (!Array.isArray(target)) fail('pickle appends to something that is not a list');
    // not push(...items): a long MARK run would overflow the call stack
    for (const item of items) (target as unknown[]).push(item);
  };

  for (;;) {
    const at = p;
    const op = u8();
    switch (op) {
      case 0x80:
        u8();
        break; // PROTO
      case 0x95:
        bytesOf(8);
        break; // FRAME: a length hint only
      case 0x2e:
        return pop(); // STOP
      case 0x28:
        stack.push(MARK);
        break; // MARK
      case 0x7d:
        stack.push(new Map());
        break; // EMPTY_DICT
      case 0x5d:
        stack.push([]);
        break; // EMPTY_LIST
      case 0x29:
        stack.push(new PickleTuple());
        break; // EMPTY_TUPLE
      case 0x74:
        stack.push(PickleTuple.from(popMark()));
        break; // TUPLE
      case 0x85:
        stack.push(PickleTuple.of(pop()));
        break; // TUPLE1
      case 0x86: {
        const b = pop();
        const a = pop();
        stack.push(PickleTuple.of(a, b));
        break;
      } // TUPLE2
      case 0x87: {
        const c = pop();
        const b = pop();
        const a = pop();
        stack.push(PickleTuple.of(a, b, c));
        break;
      } // TUPLE3
      case 0x6c:
        stack.push(popMark());
        break; // LIST
      case 0x64: {
        const m = new Map();
        setItems(m, popMark());
        stack.push(m);
        break;
      } // DICT
      case 0x61: {
        const v = pop();
        append(top(), [v]);
        break;
      } // APPEND
      case 0x65: {
        const items = popMark();
        append(top(), items);
        break;
      } // APPENDS
      case 0x73: {
        const v = pop();
        const k = pop();
        setItems(top(), [k, v]);
        break;
      } // SETITEM
      case 0x75: {
        const items = popMark();
        setItems(top(), items);
        break;
      } // SETITEMS
      case 0x30:
        pop();
        break; // POP
      case 0x31:
        popMark();
        break; // POP_MARK
      case 0x32:
        stack.push(top());
        break; // DUP
      case 0x4e:
        stack.push(null);
        break; // NONE
      case 0x88:
        stack.push(true);
        break; // NEWTRUE
      case 0x89:
        stack.push(false);
        break; // NEWFALSE
      case 0x4b:
        stack.push(u8());
        break; // BININT1
      case 0x4d:
        stack.push(u16());
        break; // BININT2
      case 0x4a:
        stack.push(i32());
        break; // BININT
      case 0x8a: {
        // LONG1: little-endian two's complement of n ≤ 8 bytes
        const n = u8();
        if (n > 8) fail(`pickle integer of ${n} bytes is too large`);
        let v = 0n;
        const b = bytesOf(n);
        for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
        if (n > 0 && b[n - 1]! & 0x80) v -= 1n << BigInt(8 * n);
        stack.push(Number.isSafeInteger(Number(v)) ? Number(v) : v);
        break;
      }
      case 0x47: {
        need(8);
        stack.push(view.getFloat64(p, false));
        p += 8;
        break;
      } // BINFLOAT (big-endian)
      case 0x58:
        stack.push(text(u32()));
        break; // BINUNICODE
      case 0x8c:
        stack.push(text(u8()));
        break; // SHORT_BINUNICODE
      case 0x54:
        stack.push(text(u32()));
        break; // BINSTRING
      case 0x55:
        stack.push(text(u8()));
        break; // SHORT_BINSTRING
      case 0x42:
        stack.push(bytesOf(u32()).slice());
        break; // BINBYTES
      case 0x43:
        stack.push(bytesOf(u8()).slice());
        break; // SHORT_BINBYTES
      case 0x71:
        memo.set(u8(), top());
        break; // BINPUT
      case 0x72:
        memo.set(u32(), top());
        break; // LONG_BINPUT
      case 0x94:
        memo.set(memo.size, top());
        break; // MEMOIZE
      case 0x68:
      case 0x6a: {
        // BINGET, LONG_BINGET
        const key = op === 0x68 ? u8() : u32();
        if (!memo.has(key)) fail(`pickle reads memo slot ${key}, which was never written`);
        stack.push(memo.get(key));
        break;
      }
      case 0x63: {
        const module = line();
        const name = line();
        stack.push(resolveGlobal(module, name));
        break;
      } // GLOBAL
      case 0x93: {
        // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') fail('pickle STACK_GLOBAL without two strings');
        stack.push(resolveGlobal(module as string, name as string));
        break;
      }
      case 0x52: {
        // REDUCE: call an allowed global with a tuple of arguments
        const args = pop();
        const callable = pop();
        if (!(callable instanceof GlobalRef))
          fail(`pickle calls something that is not an allowed global (at byte ${at})`);
        if (!Array.isArray(args)) fail('pickle REDUCE without an argument tuple');
        stack.push((callable as GlobalRef).implementation(args as unknown[]));
        break;
      }
      case 0x51:
        stack.push(persistentLoad(pop()));
        break; // BINPERSID
      case 0x62: {
        // BUILD: sets attributes from already-built data; nothing is called
        const state = pop();
        const target = top();
        // state_dict()'s OrderedDict carries `_metadata` (module versions): an attribute, ignored.
        const empty = state === null || (state instanceof Map && state.size === 0);
        if (!(target instanceof Map) && !empty)
          fail(`pickle BUILD with a non-empty state on a non-dict (at byte ${at}) is not part of a tensor state dict`);
        break;
      }
      default:
        fail(`unsupported pickle opcode 0x${op.toString(16).padStart(2, '0')} at byte ${at}`);
    }
  }
}
