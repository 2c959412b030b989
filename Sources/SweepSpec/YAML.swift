// A thin wrapper over libyaml: one YAML document becomes a small Swift tree with 1-based source
// locations. Aliases are expanded under node, depth and size limits; no C type leaves this file.

import CLibYAML

/// A node of a parsed YAML document and the place it came from.
public struct YAMLNode: Sendable {
  /// What the node holds. Mappings keep their keys in document order.
  public enum Content: Sendable {
    case scalar(YAMLScalar)
    case sequence([YAMLNode])
    case mapping([YAMLPair])
  }

  public var content: Content
  public var location: SourceLocation

  public init(_ content: Content, at location: SourceLocation) {
    self.content = content
    self.location = location
  }

  /// The scalar, if the node is one.
  public var scalar: YAMLScalar? {
    if case .scalar(let scalar) = content { return scalar }
    return nil
  }

  /// The items, if the node is a sequence.
  public var sequence: [YAMLNode]? {
    if case .sequence(let items) = content { return items }
    return nil
  }

  /// The key-value pairs in document order, if the node is a mapping.
  public var mapping: [YAMLPair]? {
    if case .mapping(let pairs) = content { return pairs }
    return nil
  }

  /// The node as the user wrote it, roughly, escaped and cut to a length for messages.
  public var sourceText: String { excerpt(writtenText) }

  private var writtenText: String {
    switch content {
    case .scalar(let scalar): scalar.isPlain ? scalar.text : "\"\(scalar.text)\""
    case .sequence(let items): "[" + items.map(\.writtenText).joined(separator: ", ") + "]"
    case .mapping(let pairs):
      "{" + pairs.map { "\($0.key.writtenText): \($0.value.writtenText)" }.joined(separator: ", ")
        + "}"
    }
  }
}

/// One key and its value in a YAML mapping. Keys are always scalars.
public struct YAMLPair: Sendable {
  public var key: YAMLNode
  public var value: YAMLNode

  /// The key's text.
  public var name: String { key.scalar?.text ?? "" }
}

/// A YAML scalar: its text plus what decides its type (quoting and an explicit tag), so that a
/// quoted "true" stays a string.
public struct YAMLScalar: Sendable, Hashable {
  public var text: String
  /// Whether the scalar was written plain (unquoted, not a block scalar).
  public var isPlain: Bool
  /// The resolved explicit tag, e.g. `tag:yaml.org,2002:str` for `!!str`, or nil.
  public var tag: String?

  public init(text: String, isPlain: Bool = true, tag: String? = nil) {
    self.text = text
    self.isPlain = isPlain
    self.tag = tag
  }
}

/// The value of a scalar under the YAML 1.2 core schema.
enum ResolvedScalar: Equatable {
  case null
  case bool(Bool)
  case int(Int)
  /// An integer literal too large for `Int`.
  case hugeInt(String)
  case float(Double)
  case string(String)
}

extension YAMLScalar {
  private static let tagPrefix = "tag:yaml.org,2002:"

  /// The scalar's value: quoted scalars are strings, plain ones follow the core schema, an
  /// explicit `!!str`/`!!int`/`!!float`/`!!bool`/`!!null` tag forces the type. Nil when a tag
  /// forces a type the text does not have, or the tag is unknown.
  var resolved: ResolvedScalar? {
    guard let tag, tag != "!" else {
      return isPlain ? YAMLScalar.plainValue(text) : .string(text)
    }
    guard tag.hasPrefix(Self.tagPrefix) else { return nil }
    let value = YAMLScalar.plainValue(text)
    switch tag.dropFirst(Self.tagPrefix.count) {
    case "str": return .string(text)
    case "int":
      if case .int = value { return value }
      if case .hugeInt = value { return value }
      return nil
    case "float":
      if case .int(let i) = value { return .float(Double(i)) }
      if case .float = value { return value }
      return nil
    case "bool":
      if case .bool = value { return value }
      return nil
    case "null":
      return value == .null ? .null : nil
    default: return nil
    }
  }

  static func plainValue(_ text: String) -> ResolvedScalar {
    switch text {
    case "", "~", "null", "Null", "NULL": return .null
    case "true", "True", "TRUE": return .bool(true)
    case "false", "False", "FALSE": return .bool(false)
    case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF": return .float(.infinity)
    case "-.inf", "-.Inf", "-.INF": return .float(-.infinity)
    case ".nan", ".NaN", ".NAN": return .float(.nan)
    default: break
    }
    let bytes = Array(text.utf8)
    if isDecimalInteger(bytes) {
      if let value = Int(text) { return .int(value) }
      return .hugeInt(text)
    }
    if bytes.count > 2, bytes[0] == UInt8(ascii: "0") {
      let digits = String(decoding: bytes[2...], as: UTF8.self)
      if bytes[1] == UInt8(ascii: "x"), !digits.isEmpty, digits.allSatisfy(\.isASCIIHexDigit) {
        return Int(digits, radix: 16).map(ResolvedScalar.int) ?? .hugeInt(text)
      }
      if bytes[1] == UInt8(ascii: "o"), !digits.isEmpty,
        digits.allSatisfy({ ("0"..."7").contains($0) })
      {
        return Int(digits, radix: 8).map(ResolvedScalar.int) ?? .hugeInt(text)
      }
    }
    if isDecimalFloat(bytes), let value = Double(text) { return .float(value) }
    return .string(text)
  }

  /// `[-+]?[0-9]+`
  private static func isDecimalInteger(_ bytes: [UInt8]) -> Bool {
    var digits = bytes[...]
    if let first = digits.first, first == UInt8(ascii: "-") || first == UInt8(ascii: "+") {
      digits = digits.dropFirst()
    }
    return !digits.isEmpty && digits.allSatisfy(isDigit)
  }

  /// `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`
  private static func isDecimalFloat(_ bytes: [UInt8]) -> Bool {
    var i = 0
    func digits() -> Int {
      let start = i
      while i < bytes.count, isDigit(bytes[i]) { i += 1 }
      return i - start
    }
    if i < bytes.count, bytes[i] == UInt8(ascii: "-") || bytes[i] == UInt8(ascii: "+") { i += 1 }
    var mantissa = digits()
    if i < bytes.count, bytes[i] == UInt8(ascii: ".") {
      i += 1
      mantissa += digits()
    }
    guard mantissa > 0 else { return false }
    if i < bytes.count, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
      i += 1
      if i < bytes.count, bytes[i] == UInt8(ascii: "-") || bytes[i] == UInt8(ascii: "+") {
        i += 1
      }
      guard digits() > 0 else { return false }
    }
    return i == bytes.count
  }

  private static func isDigit(_ byte: UInt8) -> Bool {
    byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
  }
}

/// Reads one YAML document with libyaml's event parser and builds the `YAMLNode` tree.
enum YAMLReader {
  /// Inputs larger than this are refused before parsing.
  static let maxBytes = 1 << 20
  /// Documents with more nodes than this after expanding aliases are refused (alias bombs).
  static let maxNodes = 10_000
  /// Collections nested deeper than this are refused.
  static let maxDepth = 64

  /// Parses `text`, which must hold at most one document. Returns nil for an empty stream.
  static func parse(_ text: String, source: SourceText) throws(SweepSpecError) -> YAMLNode? {
    let bytes = Array(text.utf8)
    guard bytes.count <= maxBytes else {
      throw .invalid(
        source.location(line: 1, column: 1),
        message: "input is \(bytes.count) bytes, more than the limit of \(maxBytes)")
    }
    let parser = UnsafeMutablePointer<yaml_parser_t>.allocate(capacity: 1)
    defer { parser.deallocate() }
    guard yaml_parser_initialize(parser) == 1 else {
      throw .invalid(source.location(line: 1, column: 1), message: "libyaml could not start")
    }
    defer { yaml_parser_delete(parser) }
    let input = UnsafeMutablePointer<UInt8>.allocate(capacity: max(bytes.count, 1))
    defer { input.deallocate() }
    input.initialize(from: bytes, count: bytes.count)
    yaml_parser_set_input_string(parser, input, bytes.count)

    var builder = TreeBuilder(source: source)
    while true {
      let event = try nextEvent(parser, source: source)
      if case .streamEnd = event.kind { break }
      try builder.consume(event)
    }
    return builder.root
  }

  /// One libyaml event copied into Swift values; the C event is freed before this returns.
  struct Event {
    enum Kind {
      case streamStart
      case streamEnd
      case documentStart
      case documentEnd
      case alias(String)
      case scalar(YAMLScalar)
      case sequenceStart
      case sequenceEnd
      case mappingStart
      case mappingEnd
    }

    var kind: Kind
    var anchor: String?
    var location: SourceLocation
  }

  private static let coreTagPrefix = "tag:yaml.org,2002:"

  /// A tag as people write it: `!!int` for the core schema's, the tag itself for others.
  static func writtenTag(_ tag: String) -> String {
    let shown = tag.hasPrefix(coreTagPrefix) ? "!!" + tag.dropFirst(coreTagPrefix.count) : tag
    return excerpt(shown)
  }

  /// Refuses a tag outside the YAML 1.2 core schema (`!!str`, `!!int`, `!!float`, `!!bool`,
  /// `!!null` on scalars, `!!seq`, `!!map` on collections, or the non-specific `!`), and a core
  /// tag that does not fit its value: `!!python/object:os.system 'ls'` is not the string `ls`.
  static func checkTag(
    _ tag: String?, of kind: Event.Kind, at location: SourceLocation
  ) throws(SweepSpecError) {
    guard let tag, tag != "!" else { return }
    let expected: [String]
    switch kind {
    case .scalar: expected = ["str", "int", "float", "bool", "null"]
    case .sequenceStart: expected = ["seq"]
    case .mappingStart: expected = ["map"]
    default: return
    }
    let all = ["str", "int", "float", "bool", "null", "seq", "map"]
    guard tag.hasPrefix(coreTagPrefix), all.contains(String(tag.dropFirst(coreTagPrefix.count)))
    else {
      throw .invalid(
        location,
        message: "unsupported YAML tag '\(writtenTag(tag))'; a sweep file may use only the core "
          + "schema's tags: " + all.map { "!!" + $0 }.joined(separator: ", "))
    }
    let name = String(tag.dropFirst(coreTagPrefix.count))
    guard expected.contains(name) else {
      throw .invalid(
        location,
        message: "the tag !!\(name) does not fit a "
          + (expected == ["seq"] ? "sequence" : expected == ["map"] ? "mapping" : "scalar"))
    }
    if case .scalar(let scalar) = kind, scalar.resolved == nil {
      throw .invalid(
        location,
        message: "the tag !!\(name) does not fit the value '\(excerpt(scalar.text))'")
    }
  }

  private static func nextEvent(
    _ parser: UnsafeMutablePointer<yaml_parser_t>, source: SourceText
  ) throws(SweepSpecError) -> Event {
    var event = yaml_event_t()
    guard yaml_parser_parse(parser, &event) == 1 else {
      throw parserError(parser.pointee, source: source)
    }
    defer { yaml_event_delete(&event) }
    let location = source.location(
      line: Int(event.start_mark.line) + 1, column: Int(event.start_mark.column) + 1)
    switch event.type {
    case YAML_STREAM_START_EVENT:
      return Event(kind: .streamStart, location: location)
    case YAML_STREAM_END_EVENT:
      return Event(kind: .streamEnd, location: location)
    case YAML_DOCUMENT_START_EVENT:
      return Event(kind: .documentStart, location: location)
    case YAML_DOCUMENT_END_EVENT:
      return Event(kind: .documentEnd, location: location)
    case YAML_ALIAS_EVENT:
      return Event(kind: .alias(string(event.data.alias.anchor) ?? ""), location: location)
    case YAML_SCALAR_EVENT:
      let data = event.data.scalar
      let text =
        data.value.map {
          String(decoding: UnsafeBufferPointer(start: $0, count: data.length), as: UTF8.self)
        } ?? ""
      let scalar = YAMLScalar(
        text: text, isPlain: data.style == YAML_PLAIN_SCALAR_STYLE, tag: string(data.tag))
      try checkTag(scalar.tag, of: .scalar(scalar), at: location)
      return Event(kind: .scalar(scalar), anchor: string(data.anchor), location: location)
    case YAML_SEQUENCE_START_EVENT:
      try checkTag(string(event.data.sequence_start.tag), of: .sequenceStart, at: location)
      return Event(
        kind: .sequenceStart, anchor: string(event.data.sequence_start.anchor),
        location: location)
    case YAML_SEQUENCE_END_EVENT:
      return Event(kind: .sequenceEnd, location: location)
    case YAML_MAPPING_START_EVENT:
      try checkTag(string(event.data.mapping_start.tag), of: .mappingStart, at: location)
      return Event(
        kind: .mappingStart, anchor: string(event.data.mapping_start.anchor), location: location)
    case YAML_MAPPING_END_EVENT:
      return Event(kind: .mappingEnd, location: location)
    default:
      throw .invalid(location, message: "unexpected YAML event \(event.type.rawValue)")
    }
  }

  private static func string(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? {
    pointer.map { String(cString: $0) }
  }

  /// libyaml's problem, context and marks as an error at the problem's place.
  private static func parserError(_ parser: yaml_parser_t, source: SourceText) -> SweepSpecError {
    var message = parser.problem.map { String(cString: $0) } ?? "YAML error"
    if parser.error == YAML_READER_ERROR {
      if parser.problem_value != -1 {
        message += " (byte 0x\(String(parser.problem_value, radix: 16)))"
      }
      return .invalid(source.location(byteOffset: parser.problem_offset), message: message)
    }
    if parser.error == YAML_MEMORY_ERROR {
      message = "libyaml ran out of memory"
    }
    if let context = parser.context.map({ String(cString: $0) }) {
      let mark = parser.context_mark
      message += " (\(context) at line \(mark.line + 1), column \(mark.column + 1))"
    }
    let mark = parser.problem_mark
    return .invalid(
      source.location(line: Int(mark.line) + 1, column: Int(mark.column) + 1), message: message)
  }
}

/// Turns a stream of events into a tree, expanding aliases and checking limits, duplicate keys
/// and merge keys.
private struct TreeBuilder {
  struct Frame {
    var isMapping: Bool
    var location: SourceLocation
    var anchor: String?
    var items: [YAMLNode] = []
    var count = 1
    var height = 1
  }

  struct Anchored {
    var node: YAMLNode
    var count: Int
    var height: Int
  }

  let source: SourceText
  var stack: [Frame] = []
  var anchors: [String: Anchored] = [:]
  var nodes = 0
  var documents = 0
  var root: YAMLNode?

  init(source: SourceText) { self.source = source }

  mutating func consume(_ event: YAMLReader.Event) throws(SweepSpecError) {
    switch event.kind {
    case .streamStart, .streamEnd, .documentEnd:
      break
    case .documentStart:
      documents += 1
      if documents > 1 {
        throw .invalid(
          event.location,
          message: "a sweep file holds one YAML document; found a second one here")
      }
    case .scalar(let scalar):
      try count(1, at: event.location)
      try add(
        YAMLNode(.scalar(scalar), at: event.location), count: 1, height: 1, anchor: event.anchor)
    case .alias(let name):
      guard let anchored = anchors[name] else {
        throw .invalid(event.location, message: "unknown alias '*\(excerpt(name))'")
      }
      try count(anchored.count, at: event.location)
      if stack.count + anchored.height > YAMLReader.maxDepth {
        throw .invalid(
          event.location,
          message: "nesting deeper than \(YAMLReader.maxDepth) levels after expanding aliases")
      }
      var node = anchored.node
      node.location = event.location
      try add(node, count: anchored.count, height: anchored.height, anchor: nil)
    case .sequenceStart, .mappingStart:
      try count(1, at: event.location)
      if stack.count + 1 > YAMLReader.maxDepth {
        throw .invalid(event.location, message: "nesting deeper than \(YAMLReader.maxDepth) levels")
      }
      var isMapping = false
      if case .mappingStart = event.kind { isMapping = true }
      stack.append(Frame(isMapping: isMapping, location: event.location, anchor: event.anchor))
    case .sequenceEnd, .mappingEnd:
      guard let frame = stack.popLast() else { return }
      let content: YAMLNode.Content =
        frame.isMapping ? .mapping(try pairs(of: frame)) : .sequence(frame.items)
      try add(
        YAMLNode(content, at: frame.location), count: frame.count, height: frame.height,
        anchor: frame.anchor)
    }
  }

  private mutating func count(_ added: Int, at location: SourceLocation) throws(SweepSpecError) {
    nodes += added
    if nodes > YAMLReader.maxNodes {
      throw .invalid(
        location,
        message: "document too large: more than \(YAMLReader.maxNodes) nodes after expanding "
          + "aliases")
    }
  }

  private mutating func add(
    _ node: YAMLNode, count: Int, height: Int, anchor: String?
  ) throws(SweepSpecError) {
    if let anchor { anchors[anchor] = Anchored(node: node, count: count, height: height) }
    guard !stack.isEmpty else {
      root = node
      return
    }
    stack[stack.count - 1].items.append(node)
    stack[stack.count - 1].count += count
    stack[stack.count - 1].height = max(stack[stack.count - 1].height, height + 1)
  }

  /// The mapping's pairs: keys must be scalars and unique; `<<` merge keys add the pairs of the
  /// mappings they name that are not already present (explicit keys win, earlier merges win).
  private func pairs(of frame: Frame) throws(SweepSpecError) -> [YAMLPair] {
    var explicit: [YAMLPair] = []
    var merged: [YAMLPair] = []
    var seen: [String: SourceLocation] = [:]
    var index = 0
    while index + 1 < frame.items.count {
      let key = frame.items[index]
      let value = frame.items[index + 1]
      index += 2
      guard let scalar = key.scalar else {
        throw .invalid(key.location, message: "mapping keys must be plain strings")
      }
      if scalar.isPlain && scalar.text == "<<" && scalar.tag == nil {
        for source in try mergeSources(value) {
          merged.append(contentsOf: source)
        }
        continue
      }
      if let first = seen[scalar.text] {
        throw .invalid(
          key.location,
          message: "duplicate key '\(excerpt(scalar.text))' (first at line \(first.line), column "
            + "\(first.column))")
      }
      seen[scalar.text] = key.location
      explicit.append(YAMLPair(key: key, value: value))
    }
    for pair in merged where seen[pair.name] == nil {
      seen[pair.name] = pair.key.location
      explicit.append(pair)
    }
    return explicit
  }

  private func mergeSources(_ value: YAMLNode) throws(SweepSpecError) -> [[YAMLPair]] {
    if let pairs = value.mapping { return [pairs] }
    if let items = value.sequence {
      var sources: [[YAMLPair]] = []
      for item in items {
        guard let pairs = item.mapping else {
          throw .invalid(item.location, message: "a merge key '<<' takes mappings")
        }
        sources.append(pairs)
      }
      return sources
    }
    throw .invalid(
      value.location, message: "a merge key '<<' takes a mapping or a list of mappings")
  }
}
