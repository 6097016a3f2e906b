import { randomBytes, randomFillSync, randomInt } from 'node:crypto';

/** A new run id: 32 lowercase hex characters, like MLflow's uuid4().hex. */
export function newRunId(): string {
  return randomBytes(16).toString('hex');
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
const pool = Buffer.alloc(16 * 512);
let poolAt = pool.length;

/**
 * A new request id: a UUID version 7 (RFC 9562), whose first 48 bits are the time in ms, so ids
 * made one after another sort together (and index cheaply: the inference log's request index then
 * grows at its end instead of at random pages).
 */
export function newRequestId(now = Date.now()): string {
  if (poolAt === pool.length) {
    randomFillSync(pool);
    poolAt = 0;
  }
  const r = poolAt;
  poolAt += 16;
  const hi = Math.floor(now / 0x10000);
  const t = `${HEX[(hi >>> 24) & 255]}${HEX[(hi >>> 16) & 255]}${HEX[(hi >>> 8) & 255]}${HEX[hi & 255]}-${HEX[(now >>> 8) & 255]}${HEX[now & 255]}`;
  return (
    `${t}-${HEX[0x70 | (pool[r + 6] & 15)]}${HEX[pool[r + 7]]}-${HEX[0x80 | (pool[r + 8] & 63)]}${HEX[pool[r + 9]]}-` +
    `${HEX[pool[r + 10]]}${HEX[pool[r + 11]]}${HEX[pool[r + 12]]}${HEX[pool[r + 13]]}${HEX[pool[r + 14]]}${HEX[pool[r + 15]]}`
  );
}

/** The time (epoch ms) a version-7 UUID carries, or null for any other id. */
export function requestIdTime(id: string): number | null {
  if (id.length !== 36 || id.charCodeAt(14) !== 55 || !UUID7.test(id)) return null;
  return parseInt(id.slice(0, 8), 16) * 0x10000 + parseInt(id.slice(9, 13), 16);
}

const UUID7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

const ADJECTIVES = [
  'able',
  'amber',
  'bold',
  'brave',
  'bright',
  'calm',
  'clever',
  'crisp',
  'dapper',
  'eager',
  'fair',
  'fleet',
  'gentle',
  'glad',
  'grand',
  'honest',
  'keen',
  'kind',
  'lively',
  'lucid',
  'merry',
  'mighty',
  'nimble',
  'noble',
  'polite',
  'proud',
  'quick',
  'quiet',
  'rapid',
  'sharp',
  'shy',
  'silent',
  'sleek',
  'smart',
  'steady',
  'sunny',
  'swift',
  'tidy',
  'vivid',
  'wise',
];
const NOUNS = [
  'ant',
  'bass',
  'bat',
  'bear',
  'bee',
  'cat',
  'crab',
  'crane',
  'deer',
  'dove',
  'eel',
  'elk',
  'finch',
  'fox',
  'frog',
  'gnu',
  'goat',
  'hare',
  'hawk',
  'ibis',
  'jay',
  'koala',
  'lark',
  'lynx',
  'mole',
  'moth',
  'newt',
  'owl',
  'panda',
  'quail',
  'ram',
  'robin',
  'seal',
  'shrew',
  'snail',
  'swan',
  'toad',
  'trout',
  'vole',
  'wolf',
];

/** A readable run name such as "swift-owl-482", as MLflow generates when none is given. */
export function newRunName(): string {
  return `${ADJECTIVES[randomInt(ADJECTIVES.length)]}-${NOUNS[randomInt(NOUNS.length)]}-${randomInt(1000)}`;
}
