/**
 * Leader election among controllers on any {@link io.moonshard.controller.store.MetadataStore}: {@link
 * io.moonshard.controller.election.LeaderElection} campaigns for one key with a lease, {@link
 * io.moonshard.controller.election.Leadership} is a term with its fencing token, ended no later than its
 * lease's validity. The pure decisions are in {@code ElectionRules}.
 */
package io.moonshard.controller.election;
