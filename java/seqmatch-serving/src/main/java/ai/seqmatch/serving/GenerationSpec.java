/*
 * A generation request as a front end received it, before any check: the fields of seqmatch.v1's
 * GenerateRequest in plain Java (null = unset), so that gRPC and HTTP requests go through one
 * RequestValidator. Exactly one of promptText and promptIds is expected.
 */
package ai.seqmatch.serving;

import java.util.List;

/**
 * An unchecked request.
 *
 * @param promptText text to tokenize (start token prepended), or null
 * @param promptIds token ids, or null
 * @param maxNewTokens 0 = the server's default
 * @param maxActions 0 = 4 × max_new_tokens
 * @param temperature null = 1
 * @param topK 0 = off
 * @param topP null = 1 (off)
 * @param seed null = a server-chosen seed
 * @param allowBackspace null = true
 */
public record GenerationSpec(String promptText, long[] promptIds, long maxNewTokens, long maxActions, boolean greedy,
    Double temperature, long topK, Double topP, Long seed, List<String> stopSequences, long[] stopTokenIds,
    Boolean allowBackspace, boolean noRetype, boolean commitOnly) {
  public GenerationSpec {
    stopSequences = stopSequences == null ? List.of() : List.copyOf(stopSequences);
    stopTokenIds = stopTokenIds == null ? new long[0] : stopTokenIds;
  }
}
