// Test-only S3 server for Keel's storage tests, started by
// s3_test_server.cc: npm's s3rver with AWS Signature V4 checking added.
// s3rver 3.7 checks only V2 signatures and accepts any V4 one, so a
// middleware recomputes each V4 signature with the independent npm `aws4`
// signer and refuses a mismatch (403 SignatureDoesNotMatch), as S3 does.
// It also enforces S3's 5 MiB minimum for every multipart part but the
// last, and can fail the parts of one key on purpose (--fail-parts-of).
//
// Usage: node s3_test_server.js --modules DIR --directory DIR --bucket NAME
//          --port-file FILE [--fail-parts-of KEY]
// Listens on 127.0.0.1 on a free port and writes that port to FILE
// (atomically) once ready. Credentials: access key S3RVER, secret S3RVER.
'use strict';

const fs = require('fs');
const path = require('path');

function parseArgs(argv) {
  const args = {};
  for (let i = 0; i < argv.length; i += 2) {
    if (!argv[i].startsWith('--') || i + 1 >= argv.length) {
      throw new Error(`bad argument list near '${argv[i]}'`);
    }
    args[argv[i].slice(2)] = argv[i + 1];
  }
  for (const required of ['modules', 'directory', 'bucket', 'port-file']) {
    if (!args[required]) throw new Error(`missing --${required}`);
  }
  return args;
}

// s3rver makes ListObjectsV2 continuation tokens with DES, which OpenSSL 3
// leaves out unless its legacy provider is loaded. The token only has to be
// opaque and reversible, so DES becomes the identity here.
const crypto = require('crypto');
for (const name of ['createCipheriv', 'createDecipheriv']) {
  const original = crypto[name];
  crypto[name] = (algorithm, ...rest) =>
    algorithm === 'des'
      ? { update: (data, encoding) => Buffer.from(data, encoding), final: () => Buffer.alloc(0) }
      : original(algorithm, ...rest);
}

const args = parseArgs(process.argv.slice(2));
const S3rver = require(path.join(args.modules, 's3rver'));
const S3Error = require(path.join(args.modules, 's3rver', 'lib', 'models', 'error'));
const aws4 = require(path.join(args.modules, 'aws4'));

const SECRETS = { S3RVER: 'S3RVER' };
const MIN_PART_BYTES = 5 * 1024 * 1024;
const partSizes = new Map(); // uploadId -> Map(partNumber -> bytes)

// "AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=..."
function parseAuthorization(header) {
  const fields = {};
  for (const part of header.slice('AWS4-HMAC-SHA256 '.length).split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) fields[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  return fields;
}

async function verifySignature(ctx, next) {
  const header = ctx.get('authorization');
  if (!header.startsWith('AWS4-HMAC-SHA256 ')) return next();
  const fields = parseAuthorization(header);
  if (!fields.Credential || !fields.SignedHeaders || !fields.Signature) {
    throw new S3Error('AuthorizationHeaderMalformed', 'The authorization header is malformed.');
  }
  const [accessKeyId, date, region, service, terminator] = fields.Credential.split('/');
  const secret = SECRETS[accessKeyId];
  if (secret === undefined) {
    throw new S3Error(
      'InvalidAccessKeyId',
      'The AWS Access Key Id you provided does not exist in our records.',
      { AWSAccessKeyId: accessKeyId },
    );
  }
  const headers = {};
  const include = {};
  for (const name of fields.SignedHeaders.split(';')) {
    if (ctx.req.headers[name] === undefined) {
      throw new S3Error('AccessDenied', `The signed header '${name}' is not in the request.`);
    }
    headers[name] = ctx.req.headers[name];
    include[name] = true;
  }
  if (!(headers['x-amz-date'] || '').startsWith(date) || service !== 's3' ||
      terminator !== 'aws4_request') {
    throw new S3Error('AuthorizationHeaderMalformed',
      `The credential scope '${fields.Credential}' does not match the request.`);
  }
  const signer = new aws4.RequestSigner(
    { method: ctx.method, path: ctx.req.url, headers, service, region,
      extraHeadersToInclude: include },
    { accessKeyId, secretAccessKey: secret },
  );
  // As aws4.sign() does: prepare first, so that the request's x-amz-date (not
  // the server's clock) is the time in the string to sign.
  signer.prepareRequest();
  const expected = signer.signature();
  if (signer.signedHeaders() !== fields.SignedHeaders || expected !== fields.Signature) {
    throw new S3Error(
      'SignatureDoesNotMatch',
      'The request signature we calculated does not match the signature you provided. ' +
        'Check your key and signing method.',
      { AWSAccessKeyId: accessKeyId, CanonicalRequest: signer.canonicalString() },
    );
  }
  return next();
}

async function multipartRules(ctx, next) {
  const { uploadId, partNumber } = ctx.query;
  if (uploadId === undefined) return next();
  if (ctx.method === 'PUT' && partNumber !== undefined) {
    const key = decodeURIComponent(ctx.path).split('/').slice(2).join('/');
    if (args['fail-parts-of'] === key && Number(partNumber) >= 2) {
      throw new S3Error('InternalError', 'Failure injected by the test server.');
    }
    await next();
    if (!partSizes.has(uploadId)) partSizes.set(uploadId, new Map());
    partSizes.get(uploadId).set(Number(partNumber), Number(ctx.get('content-length')));
    return undefined;
  }
  if (ctx.method === 'POST') {
    const parts = [...(partSizes.get(uploadId) || new Map()).entries()].sort((a, b) => a[0] - b[0]);
    for (const [number, size] of parts.slice(0, -1)) {
      if (size < MIN_PART_BYTES) {
        throw new S3Error('EntityTooSmall',
          'Your proposed upload is smaller than the minimum allowed object size.',
          { PartNumber: number, ProposedSize: size, MinSizeAllowed: MIN_PART_BYTES });
      }
    }
  }
  return next();
}

const server = new S3rver({
  address: '127.0.0.1',
  port: 0,
  silent: !process.env.KEEL_S3_TEST_SERVER_VERBOSE,
  directory: args.directory,
  configureBuckets: [{ name: args.bucket, configs: [] }],
});
// Before the router, which is the last middleware s3rver installs.
server.middleware.splice(server.middleware.length - 1, 0, verifySignature, multipartRules);

process.on('SIGTERM', () => process.exit(0));
server.run().then(
  ({ port }) => {
    const temp = `${args['port-file']}.tmp`;
    fs.writeFileSync(temp, String(port));
    fs.renameSync(temp, args['port-file']);
  },
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
