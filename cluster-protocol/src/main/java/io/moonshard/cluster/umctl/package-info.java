/** undermoon control commands: UMCTL SETCLUSTER / SETREPL parsing and their rules. Parsers never throw for bad input. */
package io.moonshard.cluster.umctl;
