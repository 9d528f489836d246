import Foundation
import Testing
import _TestSupport

/// The documentation against the code: docs/cli.md against the built tool's
/// `--help`, and every relative link of README.md, the other top-level pages
/// and docs/*.md against the files of the package.
@Suite struct DocsTests {
  static let packageRoot = URL(fileURLWithPath: _TestSupport.packageRoot).standardized.path

  /// `unet ARGS --help` as scripts/cli-docs.sh writes it: 80 columns, no
  /// trailing spaces, no trailing blank lines.
  static func help(_ command: [String]) throws -> String {
    let r = try unet(command + ["--help"], environment: ["COLUMNS": "80", "LINES": "24"])
    #expect(r.status == 0, "unet \(command.joined(separator: " ")) --help: \(r.stderr)")
    var lines = r.stdout.split(separator: "\n", omittingEmptySubsequences: false).map { line in
      String(line.reversed().drop(while: { $0 == " " || $0 == "\t" }).reversed())
    }
    while lines.last?.isEmpty == true { lines.removeLast() }
    return lines.joined(separator: "\n")
  }

  /// The subcommands a help text lists: the first word of each line of its
  /// SUBCOMMANDS section indented by exactly two spaces.
  static func subcommands(of help: String) -> [String] {
    var names: [String] = []
    var inSection = false
    for line in help.split(separator: "\n", omittingEmptySubsequences: false) {
      if line.hasPrefix("SUBCOMMANDS:") {
        inSection = true
      } else if inSection {
        if line.isEmpty { break }
        if line.hasPrefix("  "), !line.hasPrefix("   "), let name = line.split(separator: " ").first {
          names.append(String(name))
        }
      }
    }
    return names
  }

  /// Every command path with its help, depth first in the order the help lists them.
  static func commands(_ path: [String] = []) throws -> [(path: [String], help: String)] {
    let text = try help(path)
    var all = [(path, text)]
    for name in subcommands(of: text) { all += try commands(path + [name]) }
    return all
  }

  /// The help blocks of docs/cli.md by heading (`## unet COMMAND`, then a fenced block).
  static func documentedHelp(_ page: String) -> [String: String] {
    var sections: [String: String] = [:]
    var heading: String?
    var block: [String]?
    for line in page.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
      if var lines = block {
        if line == "```" {
          if let heading { sections[heading] = lines.joined(separator: "\n") }
          block = nil
          heading = nil
        } else {
          lines.append(line)
          block = lines
        }
      } else if line.hasPrefix("## ") {
        heading = String(line.dropFirst(3))
      } else if line == "```", heading != nil {
        block = []
      }
    }
    return sections
  }

  @Test func cliReferenceIsTheHelpOfEveryCommand() throws {
    let page = try String(contentsOfFile: Self.packageRoot + "/docs/cli.md", encoding: .utf8)
    let documented = Self.documentedHelp(page)
    let commands = try Self.commands()
    #expect(commands.count > 10, "found only \(commands.map { $0.path })")
    let rerun = "run scripts/cli-docs.sh to regenerate docs/cli.md"
    for (path, help) in commands {
      let title = (["unet"] + path).joined(separator: " ")
      guard let text = documented[title] else {
        Issue.record("docs/cli.md has no section `## \(title)`: \(rerun)")
        continue
      }
      if text != help {
        let documentedLines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let helpLines = help.split(separator: "\n", omittingEmptySubsequences: false)
        let line = zip(documentedLines, helpLines).map { $0 == $1 }.firstIndex(of: false)
          ?? min(documentedLines.count, helpLines.count)
        func quoted(_ lines: [Substring]) -> String { line < lines.count ? "\"\(lines[line])\"" : "its end" }
        Issue.record(
          """
          docs/cli.md differs from `\(title) --help` at line \(line + 1) of its block: \
          \(quoted(documentedLines)) in the page, \(quoted(helpLines)) from the tool; \(rerun)
          """)
      }
    }
    let titles = Set(commands.map { (["unet"] + $0.path).joined(separator: " ") })
    for extra in Set(documented.keys).subtracting(titles).sorted() {
      Issue.record("docs/cli.md documents `\(extra)`, which unet does not have: \(rerun)")
    }
  }

  @Test func subcommandsAreReadFromTheHelp() {
    let help = """
      USAGE: unet <subcommand>

      SUBCOMMANDS:
        info                    Describe image files: format, size, channels,
                                sample type.
        manifest                Merge partial manifests.

        See 'unet help <subcommand>' for detailed help.
      """
    #expect(Self.subcommands(of: help) == ["info", "manifest"])
  }

  /// The Markdown pages whose links must resolve: README.md and the other
  /// pages at the top of the package, and docs/*.md.
  static func pages() throws -> [String] {
    func markdown(in folder: String) throws -> [String] {
      try FileManager.default.contentsOfDirectory(atPath: packageRoot + "/" + folder)
        .filter { $0.hasSuffix(".md") }.sorted().map { folder.isEmpty ? $0 : folder + "/" + $0 }
    }
    return try markdown(in: "") + markdown(in: "docs")
  }

  @Test func relativeLinksLeadToFiles() throws {
    let pages = try Self.pages()
    #expect(pages.contains("README.md") && pages.contains("docs/cli.md"))
    for page in pages {
      let text = try String(contentsOfFile: Self.packageRoot + "/" + page, encoding: .utf8)
      let directory = (page as NSString).deletingLastPathComponent
      for target in MarkdownLinks.targets(in: text) where !MarkdownLinks.isExternal(target) {
        let parts = target.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)
        let file = String(parts[0]).removingPercentEncoding ?? String(parts[0])
        let relative = file.isEmpty ? page : ((directory as NSString).appendingPathComponent(file) as NSString).standardizingPath
        guard !relative.hasPrefix("../"), relative != ".." else {
          Issue.record("\(page): link \(target) leads outside the package")
          continue
        }
        let path = Self.packageRoot + "/" + relative
        guard FileManager.default.fileExists(atPath: path) else {
          Issue.record("\(page): link \(target): no file \(relative)")
          continue
        }
        if parts.count == 2, relative.hasSuffix(".md") {
          let anchors = MarkdownLinks.anchors(in: try String(contentsOfFile: path, encoding: .utf8))
          if !anchors.contains(String(parts[1])) { Issue.record("\(page): link \(target): \(relative) has no heading #\(parts[1])") }
        }
      }
    }
  }

  @Test func linksAndAnchorsAreFound() {
    let text = """
      See [a](a.md), ![b](pics/b.png "title") and [c][ref]; `[d](not-a-link.md)`,
      [e](https://example.org/x.md), [f](#local).

      ```
      [g](in-a-code-block.md)
      ```

      [ref]: docs/c.md
      # Volumes — `Benchmarks/weights.sh 3d` (2026-12-03)
      ## metrics.jsonl and loss.svg
      ## Examples
      ## Examples
      """
    let targets = MarkdownLinks.targets(in: text)
    #expect(targets == ["a.md", "pics/b.png", "https://example.org/x.md", "#local", "docs/c.md"])
    #expect(targets.filter { !MarkdownLinks.isExternal($0) } == ["a.md", "pics/b.png", "#local", "docs/c.md"])
    #expect(
      MarkdownLinks.anchors(in: text)
        == ["volumes--benchmarksweightssh-3d-2026-12-03", "metricsjsonl-and-losssvg", "examples", "examples-1"])
  }
}

/// Links and headings of a Markdown page, outside code.
enum MarkdownLinks {
  /// The text of a page without fenced code blocks and inline code.
  static func prose(_ text: String) -> String {
    withoutCodeBlocks(text).replacing(/`[^`]*`/, with: "")
  }

  /// The text of a page with its fenced code blocks blanked out.
  static func withoutCodeBlocks(_ text: String) -> String {
    var kept: [Substring] = []
    var fenced = false
    for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
      if line.trimmingCharacters(in: .whitespaces).hasPrefix("```") {
        fenced.toggle()
        kept.append("")
      } else {
        kept.append(fenced ? "" : line)
      }
    }
    return kept.joined(separator: "\n")
  }

  /// The targets of inline links and images, then of reference definitions, in order.
  static func targets(in text: String) -> [String] {
    let prose = prose(text)
    let inline = prose.matches(of: /\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/).map { String($0.output.1) }
    let references = prose.matches(of: /(?m)^ {0,3}\[[^\]]+\]:\s*<?([^\s>]+)>?/).map { String($0.output.1) }
    return inline + references
  }

  /// Whether a link leaves the package: a URL with a scheme.
  static func isExternal(_ target: String) -> Bool {
    target.contains("://") || target.hasPrefix("mailto:")
  }

  /// The anchors GitHub gives a page's headings: lowercased, punctuation and
  /// symbols dropped, each space a hyphen, repeats numbered from 1.
  static func anchors(in text: String) -> [String] {
    var seen: [String: Int] = [:]
    var anchors: [String] = []
    for line in withoutCodeBlocks(text).split(separator: "\n") where line.hasPrefix("#") {
      let title = line.drop(while: { $0 == "#" })
      guard title.first == " " else { continue }
      var slug = ""
      for scalar in title.trimmingCharacters(in: .whitespaces).lowercased().unicodeScalars {
        let p = scalar.properties
        if scalar == " " {
          slug.append("-")
        } else if scalar == "-" || scalar == "_" || p.isAlphabetic || p.numericType != nil
          || p.generalCategory == .nonspacingMark
        {
          slug.unicodeScalars.append(scalar)
        }
      }
      let count = seen[slug, default: 0]
      seen[slug] = count + 1
      anchors.append(count == 0 ? slug : "\(slug)-\(count)")
    }
    return anchors
  }
}
