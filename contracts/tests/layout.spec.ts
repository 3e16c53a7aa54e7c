// Storage codecs: every wrapper decoder inverts its encoder, and the contracts keep the layout they
// were deployed with after an op that rewrites storage.
import { Address } from '@ton/core';
import '@ton/test-utils';
import { ClientConfig, clientConfigFromCell, clientConfigToCell, ClientMsg } from '../wrappers/Client';
import { childParams, paramsFromCell, paramsToCell, proxyParams } from '../wrappers/common';
import { ProxyConfig, proxyConfigFromCell, proxyConfigToCell, ProxyMsg } from '../wrappers/Proxy';
import { walletConfigFromCell, walletConfigToCell } from '../wrappers/Wallet';
import { workerConfigFromCell, workerConfigToCell, WorkerMsg } from '../wrappers/Worker';
import { accountData, codes, defaultParams, ONE_TON, proxyKey, pubkeyInt } from './helpers';
import { newNetwork } from './network';

const a = Address.parse('0:' + '21'.repeat(32));
const b = Address.parse('0:' + '43'.repeat(32));

function roundTrip<T>(name: string, value: T, enc: (v: T) => import('@ton/core').Cell, dec: (c: import('@ton/core').Cell) => T) {
    const cell = enc(value);
    const again = enc(dec(cell));
    expect({ name, hash: again.hash().toString('hex') }).toEqual({ name, hash: cell.hash().toString('hex') });
}

describe('storage layouts', () => {
    it('round-trip through the wrapper codecs', () => {
        const params = defaultParams({ proxyScCode: codes.proxy, isTest: false, minClientStake: 15n * ONE_TON });
        roundTrip('params', params, paramsToCell, paramsFromCell);
        roundTrip('params without code', childParams(params), paramsToCell, paramsFromCell);
        const proxy: ProxyConfig = { owner: a, proxyPublicKey: pubkeyInt(proxyKey), root: b, state: 1, balance: 5n, stake: 7n, unlockTs: 99, params: proxyParams(params) };
        roundTrip('proxy', proxy, proxyConfigToCell, proxyConfigFromCell);
        const client: ClientConfig = {
            state: 2, balance: 3n, stake: 4n, tokensUsed: 5n, unlockTs: 6, secretHash: 7n, owner: a, proxy: b, proxyPublicKey: 8n, params: childParams(params),
        };
        roundTrip('client', client, clientConfigToCell, clientConfigFromCell);
        roundTrip('worker', { owner: a, proxy: b, proxyPublicKey: 1n, state: 2, tokens: 3n, params: childParams(params) }, workerConfigToCell, workerConfigFromCell);
        roundTrip('wallet', { seqno: 1, subwalletId: 2, publicKey: 3n, status: 1, owner: a }, walletConfigToCell, walletConfigFromCell);
    });

    it('proxy, client and worker rewrite storage in the layout they were deployed with', async () => {
        const n = await newNetwork();
        await n.proxy.sendBody(n.stranger.getSender(), 2n * ONE_TON, ProxyMsg.increaseStake(1n, ONE_TON, n.relay.address));
        const p = proxyConfigFromCell(await accountData(n.chain, n.proxy.address));
        expect(proxyConfigToCell(p).equals(proxyConfigToCell({ ...n.proxyConfig, stake: 2n * ONE_TON }))).toBe(true);
        await n.client.sendBody(n.relay.getSender(), 3n * ONE_TON, ClientMsg.topUp(1n, 2n * ONE_TON, n.relay.address));
        const c = clientConfigFromCell(await accountData(n.chain, n.client.address));
        expect(c.balance).toBe(2n * ONE_TON);
        expect(clientConfigToCell(c).equals(await accountData(n.chain, n.client.address))).toBe(true);
        await n.worker.sendBody(n.relay.getSender(), ONE_TON, WorkerMsg.payout(false, 1n, 10n, n.worker.address, n.relay.address, proxyKey.secretKey));
        const w = workerConfigFromCell(await accountData(n.chain, n.worker.address));
        expect(w.tokens).toBe(10n);
        expect(workerConfigToCell(w).equals(await accountData(n.chain, n.worker.address))).toBe(true);
    });
});
