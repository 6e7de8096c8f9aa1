package io.moonshard.controller.store;

/**
 * What a transaction did: whether its comparisons held (then its writes were applied), and the store
 * revision after it (the revision of its writes when it succeeded and wrote something).
 */
public record TxnResult(boolean succeeded, long revision) {
}
