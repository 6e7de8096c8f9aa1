package io.moonshard.cluster.topology;

/**
 * The six fields that follow a {@code MIGRATING}/{@code IMPORTING} range in SETCLUSTER: which slots
 * move from which proxy and Redis to which.
 */
public record MigrationMeta(long epoch, String srcProxy, String srcNode, String dstProxy, String dstNode) {
}
