// Paths of sweep manifests and the sweep directories they belong to.

import Foundation

/// The sweep directory a manifest path belongs to: the path itself when it is a directory,
/// `X` for `X/manifest.json` and for `X/manifests/<key>.json`.
public func sweepDirectory(ofManifestPath path: String) -> String {
  var isDirectory: ObjCBool = false
  if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory),
    isDirectory.boolValue
  {
    return path
  }
  let parent = parentPath(path)
  let name = parent.split(separator: "/").last.map(String.init) ?? parent
  return name == "manifests" ? parentPath(parent) : parent
}

/// The directory part of `path` ("." when there is none).
private func parentPath(_ path: String) -> String {
  guard let slash = path.lastIndex(of: "/") else { return "." }
  return slash == path.startIndex ? "/" : String(path[..<slash])
}
