/* Entry point for StreamingPrepareTest's child JVM: prepare(args[0] = out dir, args[1] = seq_len, inputs...);
 * -Dtokenizer=PATH for a tokenizer.json (default byte), for measuring by hand. */
package ai.seqmatch.data;

import java.nio.file.Path;

final class PrepareMain {
  private PrepareMain() {}

  public static void main(String[] args) {
    DataPreparer.Builder b = DataPreparer.builder(System.getProperty("tokenizer", "byte"), Integer.parseInt(args[1])).optValidationFraction(0.1)
        .optProgress(System.err::println);
    for (int i = 2; i < args.length; i++) {
      b.addFile(Path.of(args[i]));
    }
    System.out.println(b.build().prepare(Path.of(args[0])).toString());
  }
}
