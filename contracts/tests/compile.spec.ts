// The committed build/ must be exactly what the sources compile to.
import { CONTRACT_NAMES, compileContract, loadCode, loadCodeHash } from '../wrappers/compile';

describe('committed BoCs', () => {
    for (const name of CONTRACT_NAMES) {
        it(`build/${name}.boc and build/${name}.hash match contracts/${name}.tolk`, async () => {
            const compiled = await compileContract(name);
            const committed = loadCode(name);
            const hash = compiled.hash().toString('hex');
            expect(committed.hash().toString('hex')).toBe(hash);
            expect(loadCodeHash(name)).toBe(hash);
        });
    }
});
