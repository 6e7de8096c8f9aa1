/** JMH benchmarks of the hot code; run with the command in docs/benchmarks.md. */
package io.moonshard.benchmarks;
