// The one registry of training parameters a sweep can set: user-facing snake_case names, types,
// ranges and defaults, mapped onto `TrainingConfig`, and the canonical resolved config.

import CanonicalJSON
import TrainingCore

/// What `sweep params` shows for one parameter.
public struct ParameterInfo: Sendable, Hashable {
  public var name: String
  /// The accepted values, e.g. `float in (0, 1)` or `one of adam, sgd`.
  public var accepts: String
  /// The default, as it appears in a canonical config.
  public var defaultValue: String
  /// What the parameter does.
  public var summary: String
}

/// The training parameters: parsing, validating and applying values, and the canonical config.
public enum Parameters {
  /// Every parameter name, in registry order.
  public static let names: [String] = definitions.map(\.name)

  /// Name, accepted values, default and meaning of every parameter, in registry order.
  public static let info: [ParameterInfo] = definitions.map {
    ParameterInfo(
      name: $0.name, accepts: $0.kind.accepts,
      defaultValue: displayText($0.read(TrainingConfig())), summary: $0.summary)
  }

  /// Parses `key=value`, the value in YAML flow syntax (`0.5`, `true`, `adam`, `[0.5, 0.95]`), as
  /// given to `sweep train key=value` or `--set key=value`. Errors name `flag` and the text.
  public static func assignment(
    _ text: String, flag: String = "--set"
  ) throws(SweepSpecError) -> (key: String, value: YAMLNode) {
    let label = flag.isEmpty ? text : "\(flag) \(text)"
    let origin = SourceLocation.Origin.argument(label)
    let here = SourceLocation(origin: origin, line: 1, column: 1)
    guard let equals = text.firstIndex(of: "=") else {
      throw .invalid(here, message: "expected key=value")
    }
    let key = text[..<equals].trimmingSpaces
    guard !key.isEmpty else {
      throw .invalid(here, message: "expected key=value, the key is empty")
    }
    let valueText = String(text[text.index(after: equals)...])
    let source = SourceText(origin: origin, text: valueText)
    let parsed: YAMLNode?
    do {
      parsed = try YAMLReader.parse(valueText, source: source)
    } catch {
      throw .invalid(here, message: "\(excerpt(key)): \(error.message)")
    }
    guard let parsed, parsed.mapping == nil, parsed.scalar?.resolved != .null else {
      throw .invalid(here, message: "\(excerpt(key)): expected a value after '='")
    }
    return (key, relocated(parsed, to: here))
  }

  /// Validates one parameter value (type and range; an unknown key gets a did-you-mean) and sets
  /// it in `config`.
  public static func apply(
    _ key: String, _ value: YAMLNode, to config: inout TrainingConfig
  ) throws(SweepSpecError) {
    let definition = try definition(key, at: value.location)
    let canonical = try canonicalValue(of: definition, value)
    definition.write(canonical, &config)
  }

  /// The canonical resolved config: a JSON object with every parameter, defaults included,
  /// snake_case keys, `track` as loss names in canonical order, `seed` as a number.
  public static func canonical(_ config: TrainingConfig) -> JSONValue {
    var members = [String: JSONValue](minimumCapacity: definitions.count)
    for definition in definitions {
      members[definition.name] = definition.read(config)
    }
    return .object(members)
  }

  /// `canonical(config).canonicalText`, the text a cell id hashes, written straight from the
  /// config as bytes: the same text without a dictionary per cell, for grids of many cells.
  public static func canonicalText(_ config: TrainingConfig) -> String {
    var bytes: [UInt8] = []
    bytes.reserveCapacity(512)
    for position in canonicalReads.indices {
      bytes.append(contentsOf: canonicalKeys[position])
      appendCanonicalText(of: canonicalReads[position](config), to: &bytes)
    }
    bytes.append(UInt8(ascii: "}"))
    return String(decoding: bytes, as: UTF8.self)
  }

  /// Appends the bytes of `value.canonicalText`, with short cuts for the numbers, booleans,
  /// plain ASCII strings and lists a config holds; anything else goes through `canonicalText`.
  private static func appendCanonicalText(of value: JSONValue, to bytes: inout [UInt8]) {
    switch value {
    case .number(let d) where d.rounded() == d && abs(d) < 1.0e15:
      // `numberText` writes these as integers (and 0 for -0).
      var magnitude = UInt64(abs(d))
      if d < 0 { bytes.append(UInt8(ascii: "-")) }
      let first = bytes.count
      repeat {
        bytes.append(UInt8(ascii: "0") + UInt8(magnitude % 10))
        magnitude /= 10
      } while magnitude > 0
      bytes[first...].reverse()
    case .number(let d): bytes.append(contentsOf: JSONValue.numberText(d).utf8)
    case .bool(let b): bytes.append(contentsOf: (b ? "true" : "false").utf8)
    case .string(let s)
    where s.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F && $0 != 0x22 && $0 != 0x5C }):
      // Printable ASCII other than `"` and `\` is written as it is in a JSON string.
      bytes.append(UInt8(ascii: "\""))
      bytes.append(contentsOf: s.utf8)
      bytes.append(UInt8(ascii: "\""))
    case .array(let items):
      bytes.append(UInt8(ascii: "["))
      for (position, item) in items.enumerated() {
        if position > 0 { bytes.append(UInt8(ascii: ",")) }
        appendCanonicalText(of: item, to: &bytes)
      }
      bytes.append(UInt8(ascii: "]"))
    default: bytes.append(contentsOf: value.canonicalText.utf8)
    }
  }

  /// The canonical value of the parameter `name` in `config` (`canonical(config)[name]`), or nil
  /// for an unknown name.
  public static func value(of name: String, in config: TrainingConfig) -> JSONValue? {
    index[name].map { definitions[$0].read(config) }
  }

  /// How to read the canonical value of the parameter `name` (nil for an unknown name), looked up
  /// once for tables of many cells.
  public static func reader(of name: String) -> (@Sendable (TrainingConfig) -> JSONValue)? {
    index[name].map { definitions[$0].read }
  }

  /// The definitions in the key order of canonical text (sorted names): each one's quoted key
  /// with the `{` or `,` before it and the colon after it, and how it reads a config.
  private static let canonicalKeys: [[UInt8]] = definitions.map(\.name).sorted().enumerated().map {
    Array((($0.offset == 0 ? "{" : ",") + JSONValue.quoted($0.element) + ":").utf8)
  }
  private static let canonicalReads: [@Sendable (TrainingConfig) -> JSONValue] =
    definitions.sorted { $0.name < $1.name }.map(\.read)

  /// Cells whose buffers would take more than this many bytes are refused: 16 GiB, some 1000
  /// times the reference cell.
  public static let maxCellBytes = 16.0 * 1024 * 1024 * 1024

  /// The bytes a cell's buffers take, estimated from the core's layout: the training batch's
  /// activations and their gradients, the validation set's activations, and the parameters with
  /// their gradients and moments (batch norm assumed on, so an upper bound).
  public static func estimatedBytes(of config: TrainingConfig) -> Double {
    let pixels = Double(config.imageSize) * Double(config.imageSize)
    let train = Double(config.batchSize) * pixels
    let eval = Double(config.evalImages) * pixels
    let layers = Double(config.convLayers)
    let filters = Double(config.filters)
    let parameters = layers * (9 * filters * filters + 3 * filters) + filters + 1
    let floats =
      train * (11 + 11 * layers * filters) + eval * (7 + 4 * layers * filters)
      + 9 * filters * filters + 8 * parameters
    return 4 * floats
  }

  /// Nil when a cell of `config` fits in `maxCellBytes`, else what is wrong: each parameter is in
  /// its range, but image_size 1024 with batch_size 1024 and 256 filters would need terabytes.
  public static func memoryProblem(of config: TrainingConfig) -> String? {
    let bytes = estimatedBytes(of: config)
    guard bytes > maxCellBytes else { return nil }
    let gibibytes = (bytes / (1024 * 1024 * 1024) * 10).rounded() / 10
    return "a cell with batch_size \(config.batchSize), eval_images \(config.evalImages), "
      + "image_size \(config.imageSize), n_conv \(config.convLayers) and filters "
      + "\(config.filters) needs about \(JSONValue.numberText(gibibytes)) GiB for its buffers, more "
      + "than the limit of 16 GiB; lower some of them"
  }

  /// The config of a canonical JSON object, e.g. from a manifest, for reruns. Every parameter
  /// must be present, valid, and no other key may appear.
  public static func config(fromCanonical json: JSONValue) throws(SweepSpecError) -> TrainingConfig
  {
    let here = SourceLocation(origin: .canonicalConfig, line: 1, column: 1)
    guard let members = json.objectValue else {
      throw .invalid(here, message: "expected a JSON object of parameters")
    }
    for key in members.keys.sorted() where index[key] == nil {
      throw .invalid(
        here,
        message: "unknown parameter '\(excerpt(key))'" + Suggestions.hint(for: key, in: names))
    }
    var config = TrainingConfig()
    for definition in definitions {
      guard let value = members[definition.name] else {
        throw .invalid(here, message: "missing parameter '\(definition.name)'")
      }
      let canonical: JSONValue
      do {
        canonical = try definition.validate(ParameterInput(value))
      } catch {
        throw .invalid(here, message: error.message)
      }
      definition.write(canonical, &config)
    }
    if let problem = memoryProblem(of: config) { throw .invalid(here, message: problem) }
    return config
  }

  // MARK: - Internal entry points for sweep files

  /// The definition of `key`, or an unknown-parameter error with a did-you-mean at `location`.
  static func definition(
    _ key: String, at location: SourceLocation
  ) throws(SweepSpecError) -> ParameterDefinition {
    guard let position = index[key] else {
      throw .invalid(
        location,
        message: "unknown parameter '\(excerpt(key))'" + Suggestions.hint(for: key, in: names))
    }
    return definitions[position]
  }

  /// The canonical JSON form of a value for `definition`, or an error at the value.
  static func canonicalValue(
    of definition: ParameterDefinition, _ value: YAMLNode
  ) throws(SweepSpecError) -> JSONValue {
    do {
      return try definition.validate(ParameterInput(value))
    } catch {
      throw .invalid(value.location, message: error.message)
    }
  }

  /// Sets an already validated canonical value of the parameter `name`.
  static func write(_ name: String, _ value: JSONValue, to config: inout TrainingConfig) {
    guard let position = index[name] else { return }
    definitions[position].write(value, &config)
  }

  /// The setter of the parameter `name` for already validated canonical values (a no-op for an
  /// unknown name), looked up once for loops over many cells.
  static func writer(
    of name: String
  ) -> @Sendable (JSONValue, inout TrainingConfig) -> Void {
    guard let position = index[name] else { return { _, _ in } }
    return definitions[position].write
  }

  /// A canonical value as people read it: `adam`, `0.5`, `true`, `[cce, dice]`.
  public static func displayText(_ value: JSONValue) -> String {
    switch value {
    case .string(let s): s
    case .array(let items): "[" + items.map(displayText).joined(separator: ", ") + "]"
    default: value.canonicalText
    }
  }

  /// A node with every location replaced, for values parsed out of a command-line argument.
  static func relocated(_ node: YAMLNode, to location: SourceLocation) -> YAMLNode {
    switch node.content {
    case .scalar: return YAMLNode(node.content, at: location)
    case .sequence(let items):
      return YAMLNode(.sequence(items.map { relocated($0, to: location) }), at: location)
    case .mapping(let pairs):
      let moved = pairs.map {
        YAMLPair(key: relocated($0.key, to: location), value: relocated($0.value, to: location))
      }
      return YAMLNode(.mapping(moved), at: location)
    }
  }

  // MARK: - The registry

  /// 2^53, the largest integer up to which every integer survives a JSON number (a double)
  /// exactly; larger integers are refused rather than rounded.
  static let largestInteger = 1 << 53

  static let definitions: [ParameterDefinition] = [
    ParameterDefinition(
      "loss", .choice(Loss.allCases.map(\.rawValue)), "the loss whose gradient trains the model",
      write: { value, config in
        if let loss = value.stringValue.flatMap(Loss.init(rawValue:)) { config.loss = loss }
      },
      read: { .string($0.loss.rawValue) }),
    ParameterDefinition(
      "theta", .real(RealRange(lower: 0, lowerOpen: true, upper: 1, upperOpen: true)),
      "foreground threshold: a pixel is foreground when its value exceeds theta",
      write: { value, config in config.theta = value.doubleValue ?? config.theta },
      read: { .number($0.theta) }),
    ParameterDefinition(
      "batch_norm", .bool, "batch normalisation after each 3x3 conv",
      write: { value, config in config.batchNorm = value.boolValue ?? config.batchNorm },
      read: { .bool($0.batchNorm) }),
    ParameterDefinition(
      "bn_eval", .choice(BatchNormEvaluation.allCases.map(\.rawValue)),
      "batch norm at evaluation: moving averages (as TensorFlow with training=False) or the "
        + "validation batch's own statistics",
      write: { value, config in
        if let mode = value.stringValue.flatMap(BatchNormEvaluation.init(rawValue:)) {
          config.bnEval = mode
        }
      },
      read: { .string($0.bnEval.rawValue) }),
    ParameterDefinition(
      "bn_momentum", .real(RealRange(lower: 0, lowerOpen: false, upper: 1, upperOpen: true)),
      "decay of batch norm's moving averages (TensorFlow's momentum)",
      write: { value, config in config.bnMomentum = value.doubleValue ?? config.bnMomentum },
      read: { .number($0.bnMomentum) }),
    ParameterDefinition(
      "optimizer", .choice(OptimizerKind.allCases.map(\.rawValue)), "the optimizer",
      write: { value, config in
        if let kind = value.stringValue.flatMap(OptimizerKind.init(rawValue:)) {
          config.optimizer = kind
        }
      },
      read: { .string($0.optimizer.rawValue) }),
    ParameterDefinition(
      "learning_rate", .real(RealRange(lower: 0, lowerOpen: true)), "the step size",
      write: { value, config in config.learningRate = value.doubleValue ?? config.learningRate },
      read: { .number($0.learningRate) }),
    ParameterDefinition(
      "beta1", .real(RealRange(lower: 0, lowerOpen: false, upper: 1, upperOpen: true)),
      "Adam's first-moment decay rate",
      write: { value, config in config.beta1 = value.doubleValue ?? config.beta1 },
      read: { .number($0.beta1) }),
    ParameterDefinition(
      "beta2", .real(RealRange(lower: 0, lowerOpen: false, upper: 1, upperOpen: true)),
      "Adam's second-moment decay rate",
      write: { value, config in config.beta2 = value.doubleValue ?? config.beta2 },
      read: { .number($0.beta2) }),
    ParameterDefinition(
      "adam_epsilon", .real(RealRange(lower: 0, lowerOpen: true)), "Adam's epsilon",
      write: { value, config in config.adamEpsilon = value.doubleValue ?? config.adamEpsilon },
      read: { .number($0.adamEpsilon) }),
    ParameterDefinition(
      "iterations", .integer(1...1_000_000_000), "training steps, numbered 0..<iterations",
      write: { value, config in config.iterations = exactInteger(value) ?? config.iterations },
      read: { .number(Double($0.iterations)) }),
    ParameterDefinition(
      "batch_size", .integer(1...1024), "images per training batch",
      write: { value, config in config.batchSize = exactInteger(value) ?? config.batchSize },
      read: { .number(Double($0.batchSize)) }),
    ParameterDefinition(
      "image_size", .integer(1...1024), "side of the square images in pixels",
      write: { value, config in config.imageSize = exactInteger(value) ?? config.imageSize },
      read: { .number(Double($0.imageSize)) }),
    ParameterDefinition(
      "eval_images", .integer(1...100_000), "number of fixed validation images",
      write: { value, config in config.evalImages = exactInteger(value) ?? config.evalImages },
      read: { .number(Double($0.evalImages)) }),
    ParameterDefinition(
      "eval_every", .integer(1...largestInteger),
      "validation accuracy on steps that are multiples of this",
      write: { value, config in config.evalEvery = exactInteger(value) ?? config.evalEvery },
      read: { .number(Double($0.evalEvery)) }),
    ParameterDefinition(
      "log_every", .integer(1...largestInteger),
      "a record for steps that are multiples of this (plus eval steps and the last step)",
      write: { value, config in config.logEvery = exactInteger(value) ?? config.logEvery },
      read: { .number(Double($0.logEvery)) }),
    ParameterDefinition(
      "n_conv", .integer(1...16), "number of 3x3 conv blocks before the 1x1 output conv",
      write: { value, config in config.convLayers = exactInteger(value) ?? config.convLayers },
      read: { .number(Double($0.convLayers)) }),
    ParameterDefinition(
      "filters", .integer(1...256), "output channels of each 3x3 conv",
      write: { value, config in config.filters = exactInteger(value) ?? config.filters },
      read: { .number(Double($0.filters)) }),
    ParameterDefinition(
      "track", .losses, "the losses whose values and gradient norms are recorded",
      write: { value, config in
        if let items = value.arrayValue {
          config.track = items.compactMap { $0.stringValue.flatMap(Loss.init(rawValue:)) }
        }
      },
      read: { .array($0.track.sorted().map { .string($0.rawValue) }) }),
    ParameterDefinition(
      "seed", .integer(0...largestInteger), "the cell seed; set it with `seeds` in a sweep file",
      write: { value, config in
        if let seed = value.doubleValue, seed >= 0, seed <= 0x1p53 { config.seed = UInt64(seed) }
      },
      read: { .number(Double($0.seed)) }),
  ]

  private static let index: [String: Int] = Dictionary(
    uniqueKeysWithValues: definitions.enumerated().map { ($1.name, $0) })
}

/// The integer of a validated canonical number, exact up to 2^53 (`intValue` stops short of it,
/// which would make a large valid value silently the default).
private func exactInteger(_ value: JSONValue) -> Int? {
  guard case .number(let d) = value, d.rounded() == d, abs(d) <= 0x1p53 else { return nil }
  return Int(d)
}

/// A range of real numbers with open or closed ends; `upper == nil` means unbounded.
struct RealRange: Sendable {
  var lower: Double
  var lowerOpen: Bool
  var upper: Double?
  var upperOpen = true

  func contains(_ x: Double) -> Bool {
    guard x.isFinite else { return false }
    let aboveLower = lowerOpen ? x > lower : x >= lower
    guard let upper else { return aboveLower }
    return aboveLower && (upperOpen ? x < upper : x <= upper)
  }

  /// `(0, 1)`, `[0, 1)` or `> 0`.
  var text: String {
    let low = JSONValue.numberText(lower)
    guard let upper else { return (lowerOpen ? "> " : ">= ") + low }
    return (lowerOpen ? "(" : "[") + low + ", " + JSONValue.numberText(upper)
      + (upperOpen ? ")" : "]")
  }
}

/// A validation failure without a place; callers add the location.
struct ValueError: Error {
  var message: String
}

/// One entry of the registry: a name, what it accepts, and how it maps onto `TrainingConfig`.
struct ParameterDefinition: Sendable {
  enum Kind: Sendable {
    case choice([String])
    case bool
    case real(RealRange)
    case integer(ClosedRange<Int>)
    /// A non-empty list of distinct losses, or "all".
    case losses

    var accepts: String {
      switch self {
      case .choice(let options): "one of " + options.joined(separator: ", ")
      case .bool: "true or false"
      case .real(let range): range.upper == nil ? "number \(range.text)" : "number in \(range.text)"
      case .integer(let range):
        range.upperBound == Int.max
          ? "integer >= \(range.lowerBound)"
          : "integer in \(range.lowerBound)...\(range.upperBound)"
      case .losses: "list of losses, or \"all\""
      }
    }
  }

  let name: String
  let kind: Kind
  let summary: String
  /// Sets a validated canonical value.
  let write: @Sendable (JSONValue, inout TrainingConfig) -> Void
  /// The canonical value in a config.
  let read: @Sendable (TrainingConfig) -> JSONValue

  init(
    _ name: String, _ kind: Kind, _ summary: String,
    write: @escaping @Sendable (JSONValue, inout TrainingConfig) -> Void,
    read: @escaping @Sendable (TrainingConfig) -> JSONValue
  ) {
    self.name = name
    self.kind = kind
    self.summary = summary
    self.write = write
    self.read = read
  }

  /// The canonical JSON value of `input`, or a message saying what is wrong with it.
  func validate(_ input: ParameterInput) throws(ValueError) -> JSONValue {
    switch kind {
    case .choice(let options):
      guard case .string(let s) = input else {
        throw ValueError(message: "\(name): expected \(kind.accepts), got \(input.display)")
      }
      guard options.contains(s) else {
        throw ValueError(
          message: "\(name): expected \(kind.accepts), got '\(excerpt(s))'"
            + Suggestions.hint(for: s, in: options))
      }
      return .string(s)
    case .bool:
      guard case .bool(let b) = input else {
        throw ValueError(message: "\(name): expected true or false, got \(input.display)")
      }
      return .bool(b)
    case .real(let range):
      let x: Double
      switch input {
      case .int(let i, _) where i.magnitude <= UInt(Parameters.largestInteger): x = Double(i)
      case .int, .hugeInt:
        throw ValueError(
          message: "\(name): the integer \(input.display) is beyond 2^53 and would not be kept "
            + "exactly; write it as a float, e.g. 1.5e17")
      case .float(let d, _): x = d
      default:
        throw ValueError(message: "\(name): expected a number, got \(input.display)")
      }
      guard range.contains(x) else {
        let bound = range.upper == nil ? range.text : "in \(range.text)"
        throw ValueError(message: "\(name) must be \(bound), got \(input.display)")
      }
      return .number(x)
    case .integer(let range):
      switch input {
      case .int(let i, _):
        guard range.contains(i) else {
          throw ValueError(message: "\(name) must be \(kind.rangeText), got \(input.display)")
        }
        return .number(Double(i))
      case .hugeInt:
        throw ValueError(message: "\(name) must be \(kind.rangeText), got \(input.display)")
      default:
        throw ValueError(message: "\(name): expected an integer, got \(input.display)")
      }
    case .losses:
      if case .string("all") = input {
        return .array(Loss.allCases.map { .string($0.rawValue) })
      }
      guard case .list(let items) = input else {
        throw ValueError(
          message: "\(name): expected a list of losses or \"all\", got \(input.display)")
      }
      guard !items.isEmpty else {
        throw ValueError(message: "\(name): expected at least one loss")
      }
      var losses: [Loss] = []
      let options = Loss.allCases.map(\.rawValue)
      for item in items {
        guard case .string(let s) = item, let loss = Loss(rawValue: s) else {
          let got = item.display
          var hint = ""
          if case .string(let s) = item { hint = Suggestions.hint(for: s, in: options) }
          throw ValueError(
            message: "\(name): expected losses (\(options.joined(separator: ", "))), got \(got)"
              + hint)
        }
        guard !losses.contains(loss) else {
          throw ValueError(message: "\(name) lists '\(excerpt(s))' more than once")
        }
        losses.append(loss)
      }
      return .array(losses.sorted().map { .string($0.rawValue) })
    }
  }
}

extension ParameterDefinition.Kind {
  /// `>= 1` or `in 1...1024`, for integer range messages.
  fileprivate var rangeText: String {
    guard case .integer(let range) = self else { return "" }
    return range.upperBound == Int.max
      ? ">= \(range.lowerBound)" : "in \(range.lowerBound)...\(range.upperBound)"
  }
}

/// A parameter value before validation, from YAML or from JSON, with the text to quote back.
indirect enum ParameterInput {
  case null
  case bool(Bool)
  case int(Int, text: String)
  case hugeInt(String)
  case float(Double, text: String)
  case string(String)
  case list([ParameterInput])
  case mapping
  /// A scalar with a tag that does not fit its text, or an unknown tag.
  case badTag(String)

  init(_ node: YAMLNode) {
    switch node.content {
    case .scalar(let scalar):
      switch scalar.resolved {
      case .none: self = .badTag("\(scalar.tag ?? "") \(scalar.text)")
      case .null: self = .null
      case .bool(let b): self = .bool(b)
      case .int(let i): self = .int(i, text: scalar.text)
      case .hugeInt(let text): self = .hugeInt(text)
      case .float(let d): self = .float(d, text: scalar.text)
      case .string(let s): self = .string(s)
      }
    case .sequence(let items): self = .list(items.map(ParameterInput.init))
    case .mapping: self = .mapping
    }
  }

  init(_ json: JSONValue) {
    switch json {
    case .null: self = .null
    case .bool(let b): self = .bool(b)
    case .number(let d):
      let text = JSONValue.numberText(d)
      if d.rounded() == d, abs(d) <= 9_007_199_254_740_992 {
        self = .int(Int(d), text: text)
      } else {
        self = .float(d, text: text)
      }
    case .string(let s): self = .string(s)
    case .array(let items): self = .list(items.map(ParameterInput.init))
    case .object: self = .mapping
    }
  }

  /// How the value is quoted in messages, escaped and cut to a length.
  var display: String { excerpt(writtenText) }

  private var writtenText: String {
    switch self {
    case .null: "nothing (null)"
    case .bool(let b): b ? "true" : "false"
    case .int(_, let text), .float(_, let text): text
    case .hugeInt(let text): text
    case .string(let s): "'\(s)'"
    case .list(let items): "[" + items.map(\.writtenText).joined(separator: ", ") + "]"
    case .mapping: "a mapping"
    case .badTag(let text): "'\(text)' (a tag that does not fit its value)"
    }
  }
}

extension Substring {
  /// The text without leading and trailing spaces and tabs.
  var trimmingSpaces: String {
    var text = self
    while let first = text.first, first == " " || first == "\t" { text = text.dropFirst() }
    while let last = text.last, last == " " || last == "\t" { text = text.dropLast() }
    return String(text)
  }
}
