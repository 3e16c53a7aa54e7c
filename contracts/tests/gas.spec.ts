// Compute gas of the main operations stays well inside what the 0.1 TON commission pays for.
// Set COCOON_GAS_REPORT=1 to print the figures.
import { Address, Cell } from '@ton/core';
import { BlockchainTransaction } from '@ton/sandbox';
import '@ton/test-utils';
import { ClientMsg } from '../wrappers/Client';
import { ProxyMsg } from '../wrappers/Proxy';
import { WorkerMsg } from '../wrappers/Worker';
import { findTx, NOW, ONE_TON, proxyKey } from './helpers';
import { newNetwork } from './network';

function gasOf(tx: BlockchainTransaction): bigint {
    if (tx.description.type !== 'generic' || tx.description.computePhase.type !== 'vm') {
        throw new Error('no compute phase');
    }
    return tx.description.computePhase.gasUsed;
}

const BUDGET = 30_000n;

describe('gas', () => {
    it('every main operation uses less than 30,000 gas', async () => {
        const n = await newNetwork();
        const rows: [string, bigint][] = [];
        const run = async (name: string, to: Address, from: Address, value: bigint, body: Cell, on: Address = to) => {
            const r = await n.chain.sendMessage({
                info: { type: 'internal', ihrDisabled: true, bounce: true, bounced: false, src: from, dest: to, value: { coins: value }, ihrFee: 0n, forwardFee: 0n, createdLt: 0n, createdAt: 0 },
                body,
            });
            const tx = findTx(r.transactions, on);
            rows.push([name, gasOf(tx)]);
            return r.transactions;
        };
        const c = n.client.address;
        const p = n.proxy.address;
        const w = n.worker.address;
        await run('client top-up', c, n.relay.address, 3n * ONE_TON, ClientMsg.topUp(1n, 2n * ONE_TON, n.relay.address));
        await run('proxy settles a top-up', c, n.relay.address, 3n * ONE_TON, ClientMsg.topUp(2n, 2n * ONE_TON, n.relay.address), p);
        await run('client register', c, n.clientOwner.address, ONE_TON, ClientMsg.register(3n, 7n, n.relay.address));
        await run('client signed charge', c, n.relay.address, ONE_TON, ClientMsg.charge(4n, 100n, c, n.relay.address, proxyKey.secretKey));
        await run('client withdraw', c, n.clientOwner.address, ONE_TON, ClientMsg.withdraw(5n, n.relay.address));
        await run('worker signed payout', w, n.relay.address, ONE_TON, WorkerMsg.payout(false, 6n, 100n, w, n.relay.address, proxyKey.secretKey));
        await run('proxy settles a worker payout', w, n.relay.address, ONE_TON, WorkerMsg.payout(false, 7n, 200n, w, n.relay.address, proxyKey.secretKey), p);
        await run('proxy payout request', p, n.relay.address, ONE_TON, ProxyMsg.payoutRequest(8n, n.relay.address));
        await run('client request refund', c, n.clientOwner.address, ONE_TON, ClientMsg.requestRefund(9n, n.relay.address));
        n.chain.now = NOW + 3601;
        await run('client forced refund', c, n.clientOwner.address, ONE_TON, ClientMsg.requestRefund(10n, n.relay.address));
        await run('proxy owner close', p, n.proxyOwner.address, ONE_TON, ProxyMsg.ownerClose(11n, n.proxyOwner.address));
        n.chain.now = NOW + 3601 + 3600;
        await run('proxy signed close complete', p, n.relay.address, ONE_TON, ProxyMsg.close(true, 12n, p, n.relay.address, proxyKey.secretKey));
        if (process.env.COCOON_GAS_REPORT) {
            console.log(rows.map(([k, v]) => `${k}: ${v}`).join('\n'));
        }
        for (const [name, gas] of rows) {
            expect({ name, under: gas < BUDGET }).toEqual({ name, under: true });
        }
        expect(rows.length).toBe(12);
    });
});
