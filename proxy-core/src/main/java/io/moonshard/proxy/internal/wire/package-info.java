/**
 * RESP frames the proxy makes or inspects without decoding them: replies it writes itself
 * ({@link io.moonshard.proxy.internal.wire.Replies}), flat arrays it reads in place, pub/sub
 * confirmations. Owns no state. Uses nothing of the engine: the bottom layer.
 */
package io.moonshard.proxy.internal.wire;
