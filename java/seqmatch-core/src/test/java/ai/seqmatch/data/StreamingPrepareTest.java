/*
 * DataPreparer streams: a 200 MB corpus (text and JSONL) is prepared by a child JVM whose heap is capped
 * far below the corpus size, and every token is accounted for; plain text tokenised in pieces gives the
 * ids of the whole text (GPT-2); prepared data is published so that a kill never leaves a mixture that
 * train accepts (PreparedFiles).
 */
package ai.seqmatch.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.seqmatch.InvalidInputException;
import ai.seqmatch.tokenize.ByteTokenizer;
import ai.seqmatch.tokenize.HfTokenizer;
import ai.seqmatch.tokenize.Tokenizer;
import ai.seqmatch.train.TrainConfig;
import ai.seqmatch.train.TrainingInputs;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedWriter;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StreamingPrepareTest {
  private static final int SEQ_LEN = 512;

  @TempDir Path tmp;

  /** ASCII words and whitespace runs, deterministic; ~bytes long. */
  private static void writeText(Path f, long bytes, long seed) throws IOException {
    Random r = new Random(seed);
    String[] ws = {" ", " ", " ", "  ", "\n", "\n\n", " \n", "\t"};
    try (BufferedWriter w = Files.newBufferedWriter(f, StandardCharsets.UTF_8)) {
      long n = 0;
      while (n < bytes) {
        int len = 1 + r.nextInt(9);
        for (int i = 0; i < len; i++) {
          w.write('a' + r.nextInt(26));
        }
        String s = ws[r.nextInt(ws.length)];
        w.write(s);
        n += len + s.length();
      }
    }
  }

  @Test
  void twoHundredMegabytesUnderA64MegabyteHeap() throws Exception {
    Path text = tmp.resolve("corpus.txt");
    writeText(text, 150_000_000L, 1);
    Path jsonl = tmp.resolve("rows.jsonl");
    long rowBytes = 0;
    int rows = 0;
    try (BufferedWriter w = Files.newBufferedWriter(jsonl, StandardCharsets.UTF_8)) {
      StringBuilder sb = new StringBuilder();
      while (Files.size(text) + rowBytes < 200_000_000L) {
        sb.setLength(0);
        sb.append("row ").append(rows).append(' ').append("lorem ipsum dolor sit amet ".repeat(1 + rows % 40));
        w.write("{\"text\": \"" + sb + "\"}\n");
        rowBytes += sb.length() + 12;
        rows++;
        if (rows % 100_000 == 0) {
          w.flush();
        }
      }
    }
    assertTrue(Files.size(text) + Files.size(jsonl) >= 200_000_000L);
    Path out = tmp.resolve("out");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process p = new ProcessBuilder(java, "-Xmx64m", "-XX:+ExitOnOutOfMemoryError", "-cp",
        System.getProperty("java.class.path"), PrepareMain.class.getName(), out.toString(), "" + SEQ_LEN,
        text.toString(), jsonl.toString())
        .redirectError(tmp.resolve("child.err").toFile()).redirectOutput(tmp.resolve("child.out").toFile()).start();
    assertTrue(p.waitFor(30, TimeUnit.MINUTES), "child JVM did not finish");
    String err = Files.readString(tmp.resolve("child.err"));
    assertEquals(0, p.exitValue(), err);
    JsonNode report = new ObjectMapper().readTree(tmp.resolve("child.out").toFile());

    // Independent count: the byte tokenizer gives one id per byte, plus EOS per document; the text stream is
    // cut into SEQ_LEN chunks (tail dropped), each JSONL side into its own stream of chunks.
    long textChunks = (Files.size(text) + 1) / SEQ_LEN;
    long examples = report.at("/train/examples").asLong() + report.at("/validation/examples").asLong();
    assertTrue(examples >= textChunks + (rowBytes - 12L * rows) / SEQ_LEN - 2, report::toString);
    assertTrue(examples <= textChunks + (Files.size(jsonl)) / SEQ_LEN, report::toString);
    double heldOut = report.at("/validation/examples").asDouble() / examples;
    assertTrue(Math.abs(heldOut - 0.1) < 0.01, () -> "validation share " + heldOut);
    assertEquals(examples * SEQ_LEN, report.at("/train/tokens").asLong() + report.at("/validation/tokens").asLong());
    PreparedFiles.verify(out, new ObjectMapper().readTree(out.resolve(DataPreparer.REPORT).toFile()));
    try (Stream<Path> left = Files.list(out)) {
      assertEquals(List.of("prepare.json", "train.smtok", "validation.smtok"),
          left.map(f -> f.getFileName().toString()).sorted().toList()); // no temp files left behind
    }
    // The data itself, read as the trainers do: header, then the first chunks are the corpus's first bytes.
    assertFirstChunksAreTheText(out, text);
  }

  /** Streams the .smtok files' ids and checks text chunk k (in stream order) holds bytes [k*L, (k+1)*L). */
  private static void assertFirstChunksAreTheText(Path out, Path text) throws IOException {
    byte[] head = new byte[SEQ_LEN * 100];
    try (InputStream in = Files.newInputStream(text)) {
      assertEquals(head.length, in.readNBytes(head, 0, head.length));
    }
    List<long[]> chunks = new ArrayList<>();
    for (String f : new String[] {DataPreparer.TRAIN, DataPreparer.VALIDATION}) {
      try (DataInputStream in = new DataInputStream(new java.io.BufferedInputStream(Files.newInputStream(out.resolve(f))))) {
        ByteBuffer h = ByteBuffer.wrap(in.readNBytes(24)).order(ByteOrder.LITTLE_ENDIAN);
        h.position(8);
        long n = h.getLong();
        in.skipNBytes(8 * n);
        for (int c = 0; c < 100; c++) {
          ByteBuffer ids = ByteBuffer.wrap(in.readNBytes(4 * SEQ_LEN)).order(ByteOrder.LITTLE_ENDIAN);
          long[] chunk = new long[SEQ_LEN];
          for (int i = 0; i < SEQ_LEN; i++) {
            chunk[i] = ids.getInt();
          }
          chunks.add(chunk);
        }
      }
    }
    // Every one of the text's first 100 chunks is the first chunk of one side or follows in order.
    int found = 0;
    for (int k = 0; k < 100; k++) {
      long[] want = new long[SEQ_LEN];
      for (int i = 0; i < SEQ_LEN; i++) {
        want[i] = head[k * SEQ_LEN + i] & 0xff;
      }
      for (long[] c : chunks) {
        if (java.util.Arrays.equals(c, want)) {
          found++;
          break;
        }
      }
    }
    assertEquals(100, found);
  }

  @Test
  void piecesOfPlainTextTokeniseAsTheWholeText() throws Exception {
    Path f = tmp.resolve("long.txt");
    StringBuilder sb = new StringBuilder();
    Random r = new Random(3);
    String[] words = {"the", "The", "king's", "don't", "  ", "\n", "\n\n", " \n", "42", "3.14", "é", "日本", "🙂", ",", "!"};
    while (sb.length() < DataReader.PIECE_CHARS * 2 + 12345) {
      sb.append(words[r.nextInt(words.length)]).append(r.nextInt(4) == 0 ? "" : " ");
    }
    Files.writeString(f, sb);
    Path gpt2 = Path.of(getClass().getResource("/tokenize/gpt2/tokenizer.json").toURI());
    try (Tokenizer t = HfTokenizer.load(gpt2)) {
      long[] whole = t.encode(sb.toString());
      List<Long> pieces = new ArrayList<>();
      int[] count = {0};
      new DataReader(BadLinePolicy.FAIL).forEach(f, new DataReader.Visitor() {
        @Override
        public void row(Row row) {
          throw new AssertionError("a .txt file has no rows");
        }

        @Override
        public void textPiece(String piece) {
          count[0]++;
          for (long id : t.encode(piece)) {
            pieces.add(id);
          }
        }

        @Override
        public void endOfText(String source) {}
      }, bytes -> {});
      assertTrue(count[0] >= 3, "pieces: " + count[0]);
      assertArrayEquals(whole, pieces.stream().mapToLong(Long::longValue).toArray());
    }
  }

  private DataPreparer preparer(Path in, int seqLen) {
    return DataPreparer.builder("byte", seqLen).addFile(in).optValidationFraction(0.2).build();
  }

  @Test
  void aFileThatNoLongerMatchesPrepareJsonIsAnErrorNamingIt() throws Exception {
    Path in = tmp.resolve("in.txt");
    writeText(in, 20_000, 5);
    Path dir = tmp.resolve("data");
    DataPreparer p = preparer(in, 16);
    JsonNode report = p.prepare(dir);
    assertTrue(p.isPreparedIn(dir));
    assertEquals(Files.size(dir.resolve("train.smtok")), report.at("/files/train.smtok/bytes").asLong());

    // A prepare with other settings killed after writing train.smtok but before prepare.json: simulated by
    // putting its train.smtok beside the old prepare.json.
    Path other = tmp.resolve("other");
    preparer(in, 32).prepare(other);
    Files.copy(other.resolve("train.smtok"), dir.resolve("train.smtok"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    InvalidInputException e = assertThrows(InvalidInputException.class, () -> p.isPreparedIn(dir));
    assertTrue(e.getMessage().startsWith("data " + dir.resolve("train.smtok") + ": does not match "
        + dir.resolve("prepare.json")), e.getMessage());

    // The same through train: data.train naming the file beside its prepare.json.
    TrainConfig c = TrainConfig.parse("{\"data\": {\"train\": \"" + dir.resolve("train.smtok") + "\"}}", "test");
    e = assertThrows(InvalidInputException.class, () -> TrainingInputs.resolve(c, line -> {}));
    assertTrue(e.getMessage().contains(dir.resolve("train.smtok") + ": does not match"), e.getMessage());

    // A file cut short (same name, fewer bytes) is caught by its size.
    p.prepare(dir);
    byte[] b = Files.readAllBytes(dir.resolve("validation.smtok"));
    Files.write(dir.resolve("validation.smtok"), java.util.Arrays.copyOf(b, b.length - 4));
    e = assertThrows(InvalidInputException.class, () -> p.isPreparedIn(dir));
    assertTrue(e.getMessage().contains("validation.smtok: does not match") && e.getMessage().contains("size"),
        e.getMessage());
  }

  @Test
  void aPrepareThatFailsMidwayLeavesNoReportAndNoTempFiles() throws Exception {
    Path good = tmp.resolve("good.jsonl");
    Files.writeString(good, "{\"text\": \"" + "abcdefgh ".repeat(50) + "\"}\n");
    Path dir = tmp.resolve("data");
    DataPreparer first = DataPreparer.builder("byte", 8).addFile(good).optBadLinePolicy(BadLinePolicy.FAIL).build();
    first.prepare(dir);
    byte[] oldTrain = Files.readAllBytes(dir.resolve("train.smtok"));
    // A new prepare into the same directory dies at line 3, after writing examples from lines 1-2.
    Files.writeString(good, "{\"text\": \"" + "ijklmnop ".repeat(50) + "\"}\n{\"text\": \"x y z w v u t\"}\n{oops\n");
    Files.writeString(dir.resolve("train.smtok.ids-123.tmp"), "left by a prepare killed earlier");
    DataPreparer second = DataPreparer.builder("byte", 8).addFile(good).optBadLinePolicy(BadLinePolicy.FAIL).build();
    InvalidInputException e = assertThrows(InvalidInputException.class, () -> second.prepare(dir));
    assertTrue(e.getMessage().startsWith(good + ":3: invalid JSON"), e.getMessage());
    assertFalse(Files.exists(dir.resolve("prepare.json")), "the old report is withdrawn before writing");
    assertArrayEquals(oldTrain, Files.readAllBytes(dir.resolve("train.smtok"))); // never half-replaced
    try (Stream<Path> left = Files.list(dir)) {
      assertEquals(List.of("train.smtok", "validation.smtok"), left.map(f -> f.getFileName().toString()).sorted()
          .toList());
    }
    assertFalse(first.isPreparedIn(dir)); // no report: train prepares again instead of reusing
    assertFalse(second.isPreparedIn(dir));
  }

  @Test
  void smallPreparationEqualsTheInMemoryDatasetAndByteIds() throws Exception {
    Path in = tmp.resolve("in.txt");
    writeText(in, 5000, 9);
    Path dir = tmp.resolve("data");
    DataPreparer.builder("byte", 16).addFile(in).optValidationFraction(0.2).optSeed(4).build().prepare(dir);
    try (ByteTokenizer bytes = new ByteTokenizer()) {
      Dataset d = Dataset.builder(ai.seqmatch.tokenize.Tokenizers.withSeqMatchSpecials(bytes), 16).addFile(in)
          .optValidationFraction(0.2).optSeed(4).build();
      List<Example> train = SmtokReader.read(dir.resolve("train.smtok"));
      List<Example> val = SmtokReader.read(dir.resolve("validation.smtok"));
      assertEquals(d.train().size(), train.size());
      assertEquals(d.validation().size(), val.size());
      // Independent of both: the chunks are the file's bytes in order, 16 at a time.
      byte[] raw = Files.readAllBytes(in);
      List<Example> all = new ArrayList<>(train);
      all.addAll(val);
      java.util.Set<String> want = new java.util.HashSet<>();
      for (int k = 0; (k + 1) * 16 <= raw.length + 1; k++) {
        long[] c = new long[16];
        for (int i = 0; i < 16; i++) {
          int at = k * 16 + i;
          c[i] = at < raw.length ? raw[at] & 0xff : ByteTokenizer.EOS;
        }
        want.add(java.util.Arrays.toString(c));
      }
      assertEquals(want, new java.util.HashSet<>(all.stream().map(x -> java.util.Arrays.toString(x.tokens())).toList()));
    }
  }
}
