// Compiles every contract and writes build/<name>.boc (raw BoC of the code cell) and
// build/<name>.hash (its hash, hex). Run with `npm run build`.
import { mkdirSync, writeFileSync } from 'fs';
import path from 'path';
import { BUILD_DIR, CONTRACT_NAMES, compileContract } from '../wrappers/compile';

async function main() {
    mkdirSync(BUILD_DIR, { recursive: true });
    for (const name of CONTRACT_NAMES) {
        const code = await compileContract(name);
        writeFileSync(path.join(BUILD_DIR, `${name}.boc`), code.toBoc({ idx: false, crc32: true }));
        writeFileSync(path.join(BUILD_DIR, `${name}.hash`), code.hash().toString('hex') + '\n');
        console.log(`${name}: ${code.hash().toString('hex')}`);
    }
}

main().catch((e) => {
    console.error(e);
    process.exit(1);
});
