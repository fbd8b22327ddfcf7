using System.ComponentModel;
using MessagePack;

namespace CacheSerial.Benchmarks.Model;

/// <summary>
/// A <see cref="Product"/> in a sealed type marked <c>[ImmutableObject(true)]</c>: the type both CacheSerial's memory tier
/// and HybridCache's local cache hand out as the same instance on every hit (HybridCache needs both marks).
/// </summary>
[ImmutableObject(true)]
[MessagePackObject]
public sealed record FrozenProduct([property: Key(0)] Product Product);
