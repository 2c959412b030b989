// swift-tools-version:6.0
// SegSweep: declarative, bit-reproducible sweeps of the Dice vs cross-entropy segmentation experiment.
import PackageDescription

#if canImport(FoundationEssentials)
  import FoundationEssentials
#else
  import Foundation
#endif

// The training core's conv kernels are compiled twice: portably (x86-64 baseline) inside
// TrainingCore, and for wide vectors in TrainingCoreVector, chosen at run time by what the CPU
// supports (docs/CORE.md). Both write the same bits. `make build NATIVE=1` sets
// SEGSWEEP_VECTOR_CPU to the host's CPU name to go further on that machine.
#if arch(x86_64)
  let vectorCPU = ProcessInfo.processInfo.environment["SEGSWEEP_VECTOR_CPU"] ?? "haswell"
  let vectorFlags = ["-target-cpu", vectorCPU]
#else
  let vectorFlags: [String] = []
#endif

let package = Package(
  name: "SegSweep",
  platforms: [.macOS(.v13)],
  products: [
    .executable(name: "sweep", targets: ["sweep"])
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
  ],
  targets: [
    .systemLibrary(
      name: "CLibYAML",
      pkgConfig: "yaml-0.1",
      providers: [.apt(["libyaml-dev"])]
    ),
    .systemLibrary(
      name: "CZlib",
      pkgConfig: "zlib",
      providers: [.apt(["zlib1g-dev"])]
    ),
    .target(name: "CanonicalJSON"),
    .target(name: "CPUFeatures"),
    .target(
      name: "TrainingCoreVector",
      swiftSettings: [
        .unsafeFlags(vectorFlags),
        .unsafeFlags(["-Ounchecked"], .when(configuration: .release)),
      ]
    ),
    .target(
      name: "TrainingCore",
      dependencies: ["TrainingCoreVector", "CPUFeatures"],
      swiftSettings: [.unsafeFlags(["-Ounchecked"], .when(configuration: .release))]
    ),
    .target(
      name: "SweepSpec",
      dependencies: [
        "CLibYAML", "CanonicalJSON", "TrainingCore",
        .product(name: "Crypto", package: "swift-crypto"),
      ]
    ),
    .target(
      name: "Artifacts",
      dependencies: [
        "CZlib", "CanonicalJSON", "TrainingCore", "SweepSpec",
        .product(name: "Crypto", package: "swift-crypto"),
      ]
    ),
    .target(
      name: "Orchestrator",
      dependencies: ["TrainingCore", "SweepSpec", "Artifacts", "CanonicalJSON"]
    ),
    .target(
      name: "Report",
      dependencies: ["Artifacts", "SweepSpec", "CanonicalJSON", "TrainingCore"]
    ),
    .executableTarget(
      name: "sweep",
      dependencies: [
        "TrainingCore", "SweepSpec", "Artifacts", "Orchestrator", "Report", "CanonicalJSON",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]
    ),
    .testTarget(name: "CanonicalJSONTests", dependencies: ["CanonicalJSON"]),
    .testTarget(name: "TrainingCoreTests", dependencies: ["TrainingCore"]),
    .testTarget(
      name: "SweepSpecTests", dependencies: ["SweepSpec", "TrainingCore", "CanonicalJSON"]),
    .testTarget(
      name: "ArtifactsTests",
      dependencies: ["Artifacts", "SweepSpec", "TrainingCore", "CanonicalJSON"]),
    .testTarget(
      name: "OrchestratorTests",
      dependencies: ["Orchestrator", "SweepSpec", "Artifacts", "TrainingCore"]),
    .testTarget(
      name: "ReportTests",
      dependencies: ["Report", "Artifacts", "SweepSpec", "TrainingCore", "CanonicalJSON"]),
    .testTarget(name: "EndToEndTests", dependencies: ["CanonicalJSON"]),
  ]
)
