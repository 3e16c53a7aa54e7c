// Checks our opcodes and message layouts against the reference TL-B schema of the official
// contracts (read in place from the shared reference directory, never copied into the repo).
import { existsSync, readFileSync } from 'fs';
import path from 'path';
import { Address, Cell, Slice } from '@ton/core';
import { ClientMsg, clientStateToCell } from '../wrappers/Client';
import { excessesBody, Op, payoutBody } from '../wrappers/common';
import { ROOT_DIR } from '../wrappers/compile';
import { ProxyMsg } from '../wrappers/Proxy';
import { RootMsg } from '../wrappers/Root';
import { WorkerMsg } from '../wrappers/Worker';

// Like internal/sharedtest: $COCOON_SHARED, else ../shared beside the repository.
function sharedPath(rel: string): string | undefined {
    const dir = process.env.COCOON_SHARED ?? path.resolve(ROOT_DIR, '..', '..', 'shared');
    const p = path.join(dir, rel);
    return existsSync(p) ? p : undefined;
}

type Constructor = { name: string; tag: number; fields: { name: string; type: string }[] };

function parseSchema(text: string): Constructor[] {
    const out: Constructor[] = [];
    for (const raw of text.split('\n')) {
        const line = raw.replace(/\/\/.*$/, '').trim();
        const m = /^(\w+)#([0-9a-f]{8})\s*(.*?)\s*=\s*InternalMsgBody;$/.exec(line);
        if (!m) continue;
        const fields = [...m[3].matchAll(/(\w+):(\([^)]*\)|\S+)/g)].map((f) => ({ name: f[1], type: f[2] }));
        out.push({ name: m[1], tag: parseInt(m[2], 16), fields });
    }
    return out;
}

// Reads one field of the schema's vocabulary from s.
function readField(s: Slice, type: string) {
    const u = /^uint(\d+)$/.exec(type);
    if (u) return s.loadUintBig(Number(u[1]));
    switch (type) {
        case 'MsgAddress':
            return s.loadAddressAny();
        case 'Coins':
            return s.loadCoins();
        case '^Cell':
            return s.loadRef();
        case '(Maybe ^Cell)':
            return s.loadMaybeRef();
        case 'Cell':
            while (s.remainingRefs > 0) s.loadRef();
            return s.loadBits(s.remainingBits);
    }
    throw new Error(`unknown TL-B type ${type}`);
}

const a = Address.parse('0:' + '12'.repeat(32));
const c = Cell.EMPTY;

// One body built by our wrappers for each constructor of the schema.
const samples: Record<string, Cell> = {
    cocoon_return_excesses_back: excessesBody(1n),
    cocoon_payout: payoutBody(1n),
    cocoon_worker_proxy_request: WorkerMsg.proxyRequest(1n, a, 2, 3n, WorkerMsg.payoutRequest(1n, 2n, a)),
    cocoon_worker_proxy_payout_request: WorkerMsg.payoutRequest(1n, 2n, a),
    cocoon_client_proxy_request: ClientMsg.proxyRequest(1n, a, clientStateToCell({ state: 1, balance: 2n, stake: 3n, tokensUsed: 4n, secretHash: 5n }), null),
    cocoon_client_proxy_top_up: ClientMsg.coinsPayload(Op.clientProxyTopUp, 5n, a),
    cocoon_client_proxy_refund_granted: ClientMsg.coinsPayload(Op.clientProxyRefundGranted, 5n, a),
    cocoon_client_proxy_refund_force: ClientMsg.coinsPayload(Op.clientProxyRefundForce, 5n, a),
    cocoon_payout_payload: WorkerMsg.payoutPayload(false, 1n, 2n, a),
    cocoon_last_payout_payload: WorkerMsg.payoutPayload(true, 1n, 2n, a),
    cocoon_add_worker_type: RootMsg.hashOp(Op.addWorkerType, 1n, 2n),
    cocoon_del_worker_type: RootMsg.hashOp(Op.delWorkerType, 1n, 2n),
    cocoon_add_model_type: RootMsg.hashOp(Op.addModelType, 1n, 2n),
    cocoon_del_model_type: RootMsg.hashOp(Op.delModelType, 1n, 2n),
    cocoon_add_proxy_type: RootMsg.hashOp(Op.addProxyType, 1n, 2n),
    cocoon_del_proxy_type: RootMsg.hashOp(Op.delProxyType, 1n, 2n),
    cocoon_register_proxy: RootMsg.registerProxy(1n, 'h:1'),
    cocoon_unregister_proxy: RootMsg.unregisterProxy(1n, 2),
    cocoon_update_proxy: RootMsg.updateProxy(1n, 2, 'h:1'),
    cocoon_change_fees: RootMsg.changeFees(1n, 2n, 3n),
    cocoon_change_params: RootMsg.changeParams(1n, { pricePerToken: 1n, workerFeePerToken: 2n, proxyDelayBeforeClose: 3, clientDelayBeforeClose: 4, minProxyStake: 5n, minClientStake: 6n }),
    cocoon_upgrade_contracts: RootMsg.upgradeContracts(1n, c, c, c),
    cocoon_upgrade_code: RootMsg.upgradeCode(1n, c),
    cocoon_reset_root: RootMsg.reset(1n),
    cocoon_upgrade_full: RootMsg.upgradeFull(1n, c, c),
    cocoon_change_owner: RootMsg.changeOwner(1n, a),
    cocoon_owner_worker_register: WorkerMsg.register(1n, a),
    cocoon_ext_proxy_payout_request: ProxyMsg.payoutRequest(1n, a),
    cocoon_ext_proxy_increase_stake: ProxyMsg.increaseStake(1n, 2n, a),
    cocoon_owner_proxy_close: ProxyMsg.ownerClose(1n, a),
    cocoon_close_request_payload: ProxyMsg.closePayload(false, 1n, a),
    cocoon_close_complete_request_payload: ProxyMsg.closePayload(true, 1n, a),
    cocoon_ext_client_top_up: ClientMsg.topUp(1n, 2n, a),
    cocoon_owner_client_change_secret_hash_and_top_up: ClientMsg.changeSecretHashAndTopUp(1n, 2n, 3n, a),
    cocoon_owner_client_register: ClientMsg.register(1n, 2n, a),
    cocoon_owner_client_change_secret_hash: ClientMsg.changeSecretHash(1n, 2n, a),
    cocoon_owner_client_increase_stake: ClientMsg.increaseStake(1n, 2n, a),
    cocoon_owner_client_withdraw: ClientMsg.withdraw(1n, a),
    cocoon_owner_client_request_refund: ClientMsg.requestRefund(1n, a),
    cocoon_charge_payload: ClientMsg.signedPayload(false, 1n, 2n, a),
    cocoon_grant_refund_payload: ClientMsg.signedPayload(true, 1n, 2n, a),
};

const schemaPath = sharedPath('reference/cocoon-contracts-messages.tlb');
const maybe = schemaPath ? describe : process.env.CI === 'true' ? describe : describe.skip;

maybe('messages.tlb (reference)', () => {
    const schema = schemaPath ? parseSchema(readFileSync(schemaPath, 'utf8')) : [];

    it('is present', () => {
        // Under CI=true a missing reference is a failure, as in internal/sharedtest.
        expect(schemaPath).toBeDefined();
        expect(schema.length).toBeGreaterThan(40);
    });

    it('every constructor has an opcode of ours and a body built by our wrappers', () => {
        const ours = new Set<number>(Object.values(Op));
        for (const ctor of schema) {
            expect({ name: ctor.name, known: ours.has(ctor.tag) }).toEqual({ name: ctor.name, known: true });
            if (ctor.name === 'cocoon_client_proxy_register') continue;
            expect({ name: ctor.name, sample: ctor.name in samples }).toEqual({ name: ctor.name, sample: true });
        }
    });

    it('our bodies parse exactly by the schema fields', () => {
        for (const ctor of schema) {
            const body = samples[ctor.name];
            if (!body) continue;
            const s = body.beginParse();
            expect({ name: ctor.name, tag: s.loadUint(32) }).toEqual({ name: ctor.name, tag: ctor.tag });
            for (const f of ctor.fields) {
                readField(s, f.type);
            }
            expect({ name: ctor.name, bits: s.remainingBits, refs: s.remainingRefs }).toEqual({ name: ctor.name, bits: 0, refs: 0 });
        }
    });

    it('client_proxy_register: the contracts send op + nonce:uint64 although the schema lists no field', () => {
        const ctor = schema.find((x) => x.name === 'cocoon_client_proxy_register')!;
        expect(ctor.fields).toEqual([]);
        const s = ClientMsg.registerPayload(7n).beginParse();
        expect([s.loadUint(32), s.loadUintBig(64), s.remainingBits]).toEqual([ctor.tag, 7n, 0]);
    });
});
