// Runs s3rver in a process of its own for test/helpers/s3.ts: argv[2] is its folder, argv[3..]
// the buckets; prints {"port":N} once it listens on 127.0.0.1. Its own process because s3rver
// signs listing continuation tokens with DES, which Node's OpenSSL 3 offers only with
// --openssl-legacy-provider (a flag the test workers should not carry).
import S3rver from 's3rver';

const [dir, ...buckets] = process.argv.slice(2);
const server = new S3rver({ address: '127.0.0.1', port: 0, directory: dir, silent: true, configureBuckets: buckets.map((name) => ({ name })) });
const { port } = await server.run();
process.stdout.write(`${JSON.stringify({ port })}\n`);
process.on('SIGTERM', () => server.close().then(() => process.exit(0)));
