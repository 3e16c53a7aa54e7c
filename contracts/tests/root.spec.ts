import { Address, beginCell, Cell } from '@ton/core';
import { Blockchain, internal, SandboxContract } from '@ton/sandbox';
import '@ton/test-utils';
import { CocoonRoot, RootConfig, rootConfigToCell, RootMsg } from '../wrappers/Root';
import { Err, excessesBody, Op, paramsToCell, STORAGE_FLOOR } from '../wrappers/common';
import { codes, defaultParams, expectActions, findTx, keepOf, newChain, rootConfig, Treasury, ONE_TON } from './helpers';

const VALUE = ONE_TON / 100n;

describe('CocoonRoot', () => {
    let chain: Blockchain;
    let owner: Treasury;
    let stranger: Treasury;
    let root: SandboxContract<CocoonRoot>;

    async function deploy(config: RootConfig) {
        root = chain.openContract(CocoonRoot.createFromConfig(config, codes.root));
        const r = await root.sendDeploy(owner.getSender(), ONE_TON);
        expect(r.transactions).toHaveTransaction({ to: root.address, deploy: true, success: true });
    }

    beforeEach(async () => {
        chain = await newChain();
        owner = await chain.treasury('owner');
        stranger = await chain.treasury('stranger');
        await deploy(rootConfig(owner.address));
    });

    async function ownerSends(body: Cell, from: Treasury = owner) {
        const before = (await chain.getContract(root.address)).balance;
        const r = await root.sendBody(from.getSender(), VALUE, body);
        const tx = findTx(r.transactions, root.address, from.address);
        return { r, tx, keep: keepOf(tx, before, STORAGE_FLOOR) };
    }

    // A successful admin op reserves the floor and returns everything else to the sender.
    async function expectAdminOk(body: Cell, queryId: bigint, setCode?: Cell) {
        const { tx, keep } = await ownerSends(body);
        expect(tx.description.type === 'generic' && tx.description.aborted).toBe(false);
        expectActions(tx, [
            { reserve: keep },
            ...(setCode ? [{ setCode }] : []),
            { mode: 128, bounce: false, to: owner.address, value: 0n, body: excessesBody(queryId) },
        ]);
    }

    it('deploys with the given data and exposes it through the getters', async () => {
        const d = await root.getData();
        expect(d.ownerAddress.toString()).toBe(owner.address.toString());
        expect({ ...d, ownerAddress: undefined }).toEqual({
            version: 0,
            lastProxySeqno: 0,
            paramsVersion: 1,
            uniqueId: 12345,
            isTest: true,
            pricePerToken: 1_000_000,
            workerFeePerToken: 100_000,
            minProxyStake: 1_000_000_000,
            minClientStake: 1_000_000_000,
            ownerAddress: undefined,
        });
        const p = await root.getCurParams();
        expect(p).toEqual({
            paramsVersion: 1,
            uniqueId: 12345,
            isTest: true,
            pricePerToken: 1_000_000n,
            workerFeePerToken: 100_000n,
            cachedTokensPriceMultiplier: 12000,
            reasoningTokensPriceMultiplier: 14000,
            proxyDelayBeforeClose: 3600,
            clientDelayBeforeClose: 3600,
            minProxyStake: ONE_TON,
            minClientStake: ONE_TON,
            proxyScHash: BigInt('0x' + codes.proxy.hash().toString('hex')),
            workerScHash: BigInt('0x' + codes.worker.hash().toString('hex')),
            clientScHash: BigInt('0x' + codes.client.hash().toString('hex')),
        });
        expect(await root.getLastProxySeqno()).toBe(0);
    });

    it('answers getters by their FunC method ids', async () => {
        const ids: [number, number][] = [
            [96613, 10],
            [89457, 14],
            [65647, 1],
        ];
        for (const [id, depth] of ids) {
            const r = await chain.runGetMethod(root.address, id, []);
            expect(r.stack.length).toBe(depth);
        }
        for (const id of [129381, 95753, 72587]) {
            const r = await chain.runGetMethod(root.address, id, [{ type: 'int', value: 5n }]);
            expect(r.stackReader.readBigNumber()).toBe(0n);
        }
    });

    it.each([
        ['worker', Op.addWorkerType, Op.delWorkerType],
        ['model', Op.addModelType, Op.delModelType],
        ['proxy', Op.addProxyType, Op.delProxyType],
    ] as const)('adds and deletes %s hashes with excesses back to the sender', async (kind, addOp, delOp) => {
        const valid = (h: bigint) =>
            kind === 'worker' ? root.getWorkerHashIsValid(h) : kind === 'model' ? root.getModelHashIsValid(h) : root.getProxyHashIsValid(h);
        const h = 0xabcdefn;
        expect(await valid(h)).toBe(false);
        await expectAdminOk(RootMsg.hashOp(addOp, 11n, h), 11n);
        expect(await valid(h)).toBe(true);
        expect(await valid(h + 1n)).toBe(false);
        expect((await root.getData()).version).toBe(1);
        await expectAdminOk(RootMsg.hashOp(delOp, 12n, h), 12n);
        expect(await valid(h)).toBe(false);
        // Deleting an absent hash is fine and still counts as a change.
        await expectAdminOk(RootMsg.hashOp(delOp, 13n, h), 13n);
        expect((await root.getData()).version).toBe(3);
        const cfg = await root.getConfig();
        expect(cfg.proxyHashes.length + cfg.workerHashes.length + cfg.modelHashes.length).toBe(0);
    });

    it('registers proxies under increasing seqnos and stores the description verbatim', async () => {
        await expectAdminOk(RootMsg.registerProxy(1n, '10.0.0.1:8888'), 1n);
        await expectAdminOk(RootMsg.registerProxy(2n, '10.0.0.2:5222 10.0.0.2:8888'), 2n);
        expect(await root.getLastProxySeqno()).toBe(2);
        const cfg = await root.getConfig();
        expect([...cfg.registeredProxies.entries()]).toEqual([
            [1, '10.0.0.1:8888'],
            [2, '10.0.0.2:5222 10.0.0.2:8888'],
        ]);
        expect(cfg.version).toBe(2);
    });

    it('updates a registered proxy and refuses an unknown seqno with 2000', async () => {
        await expectAdminOk(RootMsg.registerProxy(1n, 'a:1'), 1n);
        await expectAdminOk(RootMsg.updateProxy(2n, 1, 'b:2'), 2n);
        expect((await root.getConfig()).registeredProxies.get(1)).toBe('b:2');
        const r = await root.sendBody(owner.getSender(), VALUE, RootMsg.updateProxy(3n, 7, 'c:3'));
        expect(r.transactions).toHaveTransaction({ to: root.address, exitCode: Err.unknownProxyType, aborted: true });
        expect((await root.getData()).version).toBe(2);
    });

    it('unregisters proxies without lowering the seqno counter', async () => {
        await expectAdminOk(RootMsg.registerProxy(1n, 'a:1'), 1n);
        await expectAdminOk(RootMsg.unregisterProxy(2n, 1), 2n);
        await expectAdminOk(RootMsg.unregisterProxy(3n, 9), 3n);
        const cfg = await root.getConfig();
        expect(cfg.registeredProxies.size).toBe(0);
        expect(cfg.lastProxySeqno).toBe(1);
        await expectAdminOk(RootMsg.registerProxy(4n, 'b:2'), 4n);
        expect([...(await root.getConfig()).registeredProxies.keys()]).toEqual([2]);
    });

    it.each([
        ['type bit 1 on register', RootMsg.registerProxy(1n, 'a:1', 1), Err.msgFormatMismatch],
        ['type bit 1 on update', RootMsg.updateProxy(1n, 1, 'a:1', 1), Err.msgFormatMismatch],
        [
            'a trailing byte',
            beginCell().storeSlice(RootMsg.registerProxy(1n, 'a:1').beginParse()).storeUint(0x41, 8).endCell(),
            Err.cellUnderflow,
        ],
        [
            'fewer bytes than the length says',
            beginCell().storeUint(Op.registerProxy, 32).storeUint(1, 64).storeUint(0, 1).storeUint(10, 7).storeUint(0x41, 8).endCell(),
            Err.cellUnderflow,
        ],
        ['a hash op without the hash', beginCell().storeUint(Op.addWorkerType, 32).storeUint(1, 64).endCell(), Err.cellUnderflow],
        ['a hash op with a trailing ref', beginCell().storeSlice(RootMsg.hashOp(Op.addWorkerType, 1n, 5n).beginParse()).storeRef(Cell.EMPTY).endCell(), Err.cellUnderflow],
        ['a body shorter than op and query id', beginCell().storeUint(Op.addWorkerType, 32).storeUint(1, 10).endCell(), Err.cellUnderflow],
        ['an unknown op', beginCell().storeUint(0x12345678, 32).storeUint(1, 64).endCell(), Err.unknownOp],
        ['the unhandled client reopen op', beginCell().storeUint(Op.ownerClientTopUpReopen, 32).storeUint(1, 64).endCell(), Err.unknownOp],
    ])('rejects %s', async (_, body, code) => {
        const r = await root.sendBody(owner.getSender(), VALUE, body);
        expect(r.transactions).toHaveTransaction({ to: root.address, exitCode: code, aborted: true });
        expect(await root.getLastProxySeqno()).toBe(0);
        expect((await root.getData()).version).toBe(0);
    });

    it('changes fees and params, bumping params_version and version', async () => {
        await expectAdminOk(RootMsg.changeFees(1n, 5n, 3n), 1n);
        let p = await root.getCurParams();
        expect([p.paramsVersion, p.pricePerToken, p.workerFeePerToken]).toEqual([2, 5n, 3n]);
        const changed = {
            pricePerToken: 20n,
            workerFeePerToken: 19n,
            proxyDelayBeforeClose: 100,
            clientDelayBeforeClose: 200,
            minProxyStake: 15n * ONE_TON,
            minClientStake: 14n * ONE_TON,
        };
        await expectAdminOk(RootMsg.changeParams(2n, changed), 2n);
        p = await root.getCurParams();
        expect(p).toMatchObject({
            paramsVersion: 3,
            uniqueId: 12345,
            isTest: true,
            cachedTokensPriceMultiplier: 12000,
            reasoningTokensPriceMultiplier: 14000,
            ...changed,
        });
        const cfg = await root.getConfig();
        expect(cfg.version).toBe(2);
        // Fields not named by the ops are untouched, the codes included.
        expect(paramsToCell(cfg.params).hash()).toEqual(
            paramsToCell(defaultParams({ proxyScCode: codes.proxy, paramsVersion: 3, ...changed })).hash(),
        );
    });

    it('upgrades the child contract codes', async () => {
        const [a, b, c] = [1, 2, 3].map((i) => beginCell().storeUint(i, 8).endCell());
        await expectAdminOk(RootMsg.upgradeContracts(1n, a, b, c), 1n);
        const p = await root.getCurParams();
        expect(p.paramsVersion).toBe(2);
        expect([p.proxyScHash, p.workerScHash, p.clientScHash]).toEqual(
            [a, b, c].map((x) => BigInt('0x' + x.hash().toString('hex'))),
        );
        expect((await root.getData()).version).toBe(1);
    });

    it('reports zero code hashes when params carry no code', async () => {
        await deploy(rootConfig(owner.address, { params: defaultParams({ workerScCode: null, clientScCode: null }) }));
        const p = await root.getCurParams();
        expect([p.proxyScHash, p.workerScHash, p.clientScHash]).toEqual([0n, 0n, 0n]);
    });

    it('upgrades its own code without bumping version and still sends excesses', async () => {
        await expectAdminOk(RootMsg.registerProxy(1n, 'a:1'), 1n);
        await expectAdminOk(RootMsg.upgradeCode(2n, codes.root), 2n, codes.root);
        expect((await root.getData()).version).toBe(1);
        // A different code really gets installed.
        const other = beginCell().storeUint(0x12, 8).endCell();
        await expectAdminOk(RootMsg.upgradeCode(3n, other), 3n, other);
        const acc = (await chain.getContract(root.address)).account.account!;
        expect(acc.storage.state.type === 'active' && acc.storage.state.state.code!.equals(other)).toBe(true);
    });

    it('replaces data and code with upgrade_full', async () => {
        const newConfig = rootConfig(stranger.address, {
            version: 7,
            lastProxySeqno: 999,
            params: defaultParams({ paramsVersion: 2, uniqueId: 54321, isTest: false }),
        });
        await expectAdminOk(RootMsg.upgradeFull(5n, rootConfigToCell(newConfig), codes.root), 5n, codes.root);
        const d = await root.getData();
        expect(d).toMatchObject({ version: 7, lastProxySeqno: 999, paramsVersion: 2, uniqueId: 54321, isTest: false });
        expect(d.ownerAddress.toString()).toBe(stranger.address.toString());
        // The new owner rules now.
        const r = await root.sendBody(owner.getSender(), VALUE, RootMsg.reset(1n));
        expect(r.transactions).toHaveTransaction({ to: root.address, exitCode: Err.expectedMessageFromOwner });
    });

    it('resets the dictionaries but keeps last_proxy_seqno', async () => {
        await expectAdminOk(RootMsg.hashOp(Op.addWorkerType, 1n, 1n), 1n);
        await expectAdminOk(RootMsg.hashOp(Op.addModelType, 1n, 2n), 1n);
        await expectAdminOk(RootMsg.hashOp(Op.addProxyType, 1n, 3n), 1n);
        await expectAdminOk(RootMsg.registerProxy(1n, 'a:1'), 1n);
        await expectAdminOk(RootMsg.reset(9n), 9n);
        const cfg = await root.getConfig();
        expect(cfg).toMatchObject({ proxyHashes: [], workerHashes: [], modelHashes: [], lastProxySeqno: 1, version: 5 });
        expect(cfg.registeredProxies.size).toBe(0);
    });

    it('changes owner: the new owner works, the old one gets 1010, excesses go to the old owner', async () => {
        await expectAdminOk(RootMsg.changeOwner(4n, stranger.address), 4n);
        expect((await root.getData()).ownerAddress.toString()).toBe(stranger.address.toString());
        let r = await root.sendBody(owner.getSender(), VALUE, RootMsg.hashOp(Op.addWorkerType, 1n, 1n));
        expect(r.transactions).toHaveTransaction({ to: root.address, exitCode: Err.expectedMessageFromOwner });
        r = await root.sendBody(stranger.getSender(), VALUE, RootMsg.hashOp(Op.addWorkerType, 1n, 1n));
        expect(r.transactions).toHaveTransaction({ to: root.address, success: true });
        expect(r.transactions).toHaveTransaction({ from: root.address, to: stranger.address, op: Op.excesses });
    });

    it.each([
        ['add_worker_type', RootMsg.hashOp(Op.addWorkerType, 1n, 1n)],
        ['del_worker_type', RootMsg.hashOp(Op.delWorkerType, 1n, 1n)],
        ['add_model_type', RootMsg.hashOp(Op.addModelType, 1n, 1n)],
        ['del_model_type', RootMsg.hashOp(Op.delModelType, 1n, 1n)],
        ['add_proxy_type', RootMsg.hashOp(Op.addProxyType, 1n, 1n)],
        ['del_proxy_type', RootMsg.hashOp(Op.delProxyType, 1n, 1n)],
        ['register_proxy', RootMsg.registerProxy(1n, 'a:1')],
        ['unregister_proxy', RootMsg.unregisterProxy(1n, 1)],
        ['update_proxy', RootMsg.updateProxy(1n, 1, 'a:1')],
        ['change_fees', RootMsg.changeFees(1n, 1n, 1n)],
        ['change_params', RootMsg.changeParams(1n, { pricePerToken: 1n, workerFeePerToken: 1n, proxyDelayBeforeClose: 1, clientDelayBeforeClose: 1, minProxyStake: 1n, minClientStake: 1n })],
        ['upgrade_contracts', RootMsg.upgradeContracts(1n, Cell.EMPTY, Cell.EMPTY, Cell.EMPTY)],
        ['upgrade', RootMsg.upgradeCode(1n, Cell.EMPTY)],
        ['reset', RootMsg.reset(1n)],
        ['upgrade_full', RootMsg.upgradeFull(1n, Cell.EMPTY, Cell.EMPTY)],
        ['change_owner', RootMsg.changeOwner(1n, Address.parse('0:' + '11'.repeat(32)))],
        ['an unknown op (owner checked first)', beginCell().storeUint(0xdeadbeef, 32).storeUint(1, 64).endCell()],
        ['a malformed body (owner checked before parsing)', beginCell().storeUint(Op.registerProxy, 32).storeUint(1, 64).storeUint(1, 1).endCell()],
    ])('refuses %s from a non-owner with 1010', async (_, body) => {
        const r = await root.sendBody(stranger.getSender(), VALUE, body);
        expect(r.transactions).toHaveTransaction({ from: stranger.address, to: root.address, exitCode: Err.expectedMessageFromOwner, aborted: true });
        expect((await root.getData()).version).toBe(0);
    });

    it('ignores an empty body, do_not_process and bounced messages', async () => {
        for (const [body, bounced] of [
            [Cell.EMPTY, false],
            [beginCell().storeUint(Op.doNotProcess, 32).endCell(), false],
            [beginCell().storeUint(Op.doNotProcess, 32).storeUint(1, 64).storeUint(5, 300).endCell(), false],
            [beginCell().storeUint(0xffffffff, 32).storeUint(Op.addWorkerType, 32).endCell(), true],
        ] as [Cell, boolean][]) {
            const r = await chain.sendMessage(internal({ from: stranger.address, to: root.address, value: VALUE, body, bounced }));
            expect(r.transactions).toHaveTransaction({ to: root.address, success: true, outMessagesCount: 0 });
        }
        expect((await root.getData()).version).toBe(0);
    });

    it('reads and writes the FunC layout with non-empty dictionaries', async () => {
        const config = rootConfig(owner.address, {
            version: 41,
            proxyHashes: [1n, 2n],
            registeredProxies: new Map([
                [3, 'p3:1'],
                [5, 'p5:1 p5:2'],
            ]),
            lastProxySeqno: 5,
            workerHashes: [5n],
            modelHashes: [7n, 8n, 9n],
        });
        await deploy(config);
        expect(await root.getWorkerHashIsValid(5n)).toBe(true);
        expect(await root.getWorkerHashIsValid(1n)).toBe(false);
        expect(await root.getProxyHashIsValid(2n)).toBe(true);
        expect(await root.getProxyHashIsValid(5n)).toBe(false);
        expect(await root.getModelHashIsValid(8n)).toBe(true);
        expect(await root.getLastProxySeqno()).toBe(5);
        await expectAdminOk(RootMsg.hashOp(Op.addWorkerType, 1n, 6n), 1n);
        // Every other field stays in its FunC slot, bit for bit.
        const account = (await chain.getContract(root.address)).account.account!;
        if (account.storage.state.type !== 'active') throw new Error('inactive');
        const want = rootConfigToCell({ ...config, version: 42, workerHashes: [5n, 6n] });
        expect(account.storage.state.state.data!.hash().toString('hex')).toBe(want.hash().toString('hex'));
        await expectAdminOk(RootMsg.registerProxy(2n, 'p6:1'), 2n);
        const cfg = await root.getConfig();
        expect([...cfg.registeredProxies.entries()]).toEqual([
            [3, 'p3:1'],
            [5, 'p5:1 p5:2'],
            [6, 'p6:1'],
        ]);
        expect(cfg.proxyHashes).toEqual([1n, 2n]);
        expect(cfg.modelHashes).toEqual([7n, 8n, 9n]);
    });

    it('refuses params of another struct version with 1008', async () => {
        await deploy(rootConfig(owner.address, { params: defaultParams({ structVersion: 2 }) }));
        const r = await root.sendBody(owner.getSender(), VALUE, RootMsg.changeFees(1n, 1n, 1n));
        expect(r.transactions).toHaveTransaction({ to: root.address, exitCode: Err.storedDataDamaged });
        await expect(root.getData()).rejects.toThrow();
        // Ops that do not touch params still work.
        await expectAdminOk(RootMsg.hashOp(Op.addWorkerType, 1n, 1n), 1n);
    });

    it('never spends its own balance: reserves keep even when the op fails nothing', async () => {
        const before = (await chain.getContract(root.address)).balance;
        await root.sendBody(owner.getSender(), VALUE, RootMsg.hashOp(Op.addWorkerType, 1n, 1n));
        const after = (await chain.getContract(root.address)).balance;
        expect(after).toBeGreaterThanOrEqual(before);
    });
});
