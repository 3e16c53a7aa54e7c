/** @type {import('jest').Config} */
module.exports = {
    preset: 'ts-jest',
    testEnvironment: 'node',
    testPathIgnorePatterns: ['/node_modules/'],
    testTimeout: 60000,
    maxWorkers: 2,
    transform: {
        '^.+\\.ts$': ['ts-jest', { isolatedModules: true }],
    },
};
