import { randomBytes, randomInt } from 'node:crypto';

/** A new run id: 32 lowercase hex characters, like MLflow's uuid4().hex. */
export function newRunId(): string {
  return randomBytes(16).toString('hex');
}

const ADJECTIVES = [
  'able', 'amber', 'bold', 'brave', 'bright', 'calm', 'clever', 'crisp', 'dapper', 'eager',
  'fair', 'fleet', 'gentle', 'glad', 'grand', 'honest', 'keen', 'kind', 'lively', 'lucid',
  'merry', 'mighty', 'nimble', 'noble', 'polite', 'proud', 'quick', 'quiet', 'rapid', 'sharp',
  'shy', 'silent', 'sleek', 'smart', 'steady', 'sunny', 'swift', 'tidy', 'vivid', 'wise',
];
const NOUNS = [
  'ant', 'bass', 'bat', 'bear', 'bee', 'cat', 'crab', 'crane', 'deer', 'dove',
  'eel', 'elk', 'finch', 'fox', 'frog', 'gnu', 'goat', 'hare', 'hawk', 'ibis',
  'jay', 'koala', 'lark', 'lynx', 'mole', 'moth', 'newt', 'owl', 'panda', 'quail',
  'ram', 'robin', 'seal', 'shrew', 'snail', 'swan', 'toad', 'trout', 'vole', 'wolf',
];

/** A readable run name such as "swift-owl-482", as MLflow generates when none is given. */
export function newRunName(): string {
  return `${ADJECTIVES[randomInt(ADJECTIVES.length)]}-${NOUNS[randomInt(NOUNS.length)]}-${randomInt(1000)}`;
}
