namespace CacheSerial;

/// <summary>
/// The schema version of a cached type. It is part of every entry's type fingerprint, so bumping it makes entries written
/// with the old shape misses instead of half-read values. Put it on the root type you cache and bump it whenever any type
/// in its graph changes incompatibly. Versions of generic arguments and array elements count too.
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Struct | AttributeTargets.Interface | AttributeTargets.Enum, Inherited = false)]
public sealed class CacheSchemaVersionAttribute : Attribute
{
    /// <summary>Sets the schema version.</summary>
    /// <param name="version">A non-negative version; types without the attribute are version 0.</param>
    public CacheSchemaVersionAttribute(int version)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(version);
        Version = version;
    }

    /// <summary>The schema version.</summary>
    public int Version { get; }
}
