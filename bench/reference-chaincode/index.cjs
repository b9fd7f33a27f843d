/* eslint-disable @typescript-eslint/no-require-imports */
/* global require, module, Buffer */
'use strict';

/*
 * The cheapest useful Fabric transaction: one putState of the value given. `npm run bench:http`
 * with LEDGER=fabric submits it next to consignment:create through the same gateway connection,
 * so the ratio of the two is the cost of the customs ledger's own work per write.
 */
const { Contract } = require('fabric-contract-api');

class KeyValue extends Contract {
  constructor() {
    super('kv');
  }

  async put(ctx, key, value) {
    await ctx.stub.putState(key, Buffer.from(value));
  }
}

module.exports.contracts = [KeyValue];
