/* A checked generation request, ready for the Scheduler (RequestValidator makes them). */
package ai.seqmatch.serving;

import ai.seqmatch.serving.engine.RowParams;
import java.util.List;

/**
 * What the scheduler runs.
 *
 * @param prompt token ids, non-empty, shorter than n_positions
 * @param stopSequences finish once the generated text contains one of these (kept in the text)
 * @param commitOnly a stream sends a token only once it can no longer be deleted, and no backspaces
 */
public record PreparedRequest(long[] prompt, RowParams params, List<String> stopSequences, boolean commitOnly) {}
