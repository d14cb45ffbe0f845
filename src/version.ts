/** Service version and the versions stored with every result. */
import { readFileSync } from 'node:fs';
import path from 'node:path';

const pkg = JSON.parse(readFileSync(path.resolve(import.meta.dirname, '../package.json'), 'utf8')) as {
  name: string;
  version: string;
};

export const SERVICE_NAME = pkg.name;
export const SERVICE_VERSION = pkg.version;
