/** Hash slots: CRC16, hash tags, slot ranges and sets. */
package io.moonshard.cluster.slot;
