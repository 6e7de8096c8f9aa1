/**
 * RESP2, RESP3 and inline request decoding as zero-copy frames, reply frame splitting, a value
 * model with its encoder, and a small test-friendly API. See
 * <a href="https://redis.io/docs/latest/develop/reference/protocol-spec/">the RESP specification</a>.
 *
 * <p>Nothing here knows about clusters, slots or sockets.
 */
package io.moonshard.resp;
