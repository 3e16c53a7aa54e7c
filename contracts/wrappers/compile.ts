// Compiles the Tolk sources in contracts/ with @ton/tolk-js and reads the committed build/.
import { readFileSync } from 'fs';
import path from 'path';
import { Cell } from '@ton/core';
import { runTolkCompiler } from '@ton/tolk-js';

export const CONTRACT_NAMES = ['root', 'proxy', 'client', 'worker', 'wallet'] as const;
export type ContractName = (typeof CONTRACT_NAMES)[number];

export const ROOT_DIR = path.resolve(__dirname, '..');
export const SOURCE_DIR = path.join(ROOT_DIR, 'contracts');
export const BUILD_DIR = path.join(ROOT_DIR, 'build');

export async function compileContract(name: ContractName): Promise<Cell> {
    const result = await runTolkCompiler({
        entrypointFileName: `${name}.tolk`,
        fsReadCallback: (p: string) => readFileSync(path.join(SOURCE_DIR, p), 'utf8'),
    });
    if (result.status !== 'ok') {
        throw new Error(`compiling ${name}.tolk: ${result.message}`);
    }
    const code = Cell.fromBase64(result.codeBoc64);
    if (code.hash().toString('hex') !== result.codeHashHex.toLowerCase()) {
        throw new Error(`compiling ${name}.tolk: code hash mismatch`);
    }
    return code;
}

// The committed code of a contract: build/<name>.boc holds the raw BoC bytes of the code cell.
export function loadCode(name: ContractName): Cell {
    return Cell.fromBoc(readFileSync(path.join(BUILD_DIR, `${name}.boc`)))[0];
}

// The committed code hash: build/<name>.hash holds the code cell's hash as 64 lowercase hex digits.
export function loadCodeHash(name: ContractName): string {
    return readFileSync(path.join(BUILD_DIR, `${name}.hash`), 'utf8').trim();
}
