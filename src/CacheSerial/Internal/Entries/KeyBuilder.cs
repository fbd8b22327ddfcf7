using System.Buffers;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;

namespace CacheSerial.Internal;

/// <summary>The one home of key rules: validation, prefix joining, long-key hashing and the envelope key check.</summary>
internal sealed class KeyBuilder
{
    /// <summary>Joins prefix and key; keys and prefixes may not contain it, which makes the join injective.</summary>
    public const char PrefixSeparator = '\u001F';

    /// <summary>Separates a long key's readable head from its hash; keys may not contain it, so hashed forms are disjoint from plain keys.</summary>
    public const char HashSeparator = '\u001E';

    /// <summary>Starts the part after the prefix of a tag marker's key; keys may not contain it, so markers never meet keys.</summary>
    public const char MarkerSeparator = '\u001D';

    /// <summary>After the prefix: a tag's marker is this plus the tag; the clear marker is <see cref="ClearMarker"/>.</summary>
    public const string TagMarkerHead = "\u001Dtag:";

    public const string ClearMarker = "\u001Dclear";

    public const int HashedKeyHeadLength = 64;
    public const int KeyCheckLength = 16;

    private const int HashHexLength = 64;

    // Recent keys' checks, direct-mapped by the string's (per-process randomized) hash: a hot key's check costs a
    // string comparison instead of a SHA-256. Bounded, lock-free; a collision only means computing the check again.
    private const int KeyCheckSlots = 1024;

    private readonly string _prefixPart;
    private readonly KeyCheckEntry?[] _keyChecks = new KeyCheckEntry?[KeyCheckSlots];

    public KeyBuilder(string prefix, int maximumKeyLength)
    {
        _prefixPart = prefix.Length == 0 ? string.Empty : prefix + PrefixSeparator;
        MaximumKeyLength = maximumKeyLength;
    }

    public int MaximumKeyLength { get; }

    /// <summary>What every stored key of this cache starts with (empty without a prefix).</summary>
    public string StoredKeyPrefix => _prefixPart;

    /// <summary>
    /// The caller's key of a stored key of this cache; false for a key of another prefix or a hashed long key (its
    /// caller's key cannot be recovered from the hash).
    /// </summary>
    public bool TryCallerKey(string storedKey, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? key)
    {
        key = null;
        if (!storedKey.StartsWith(_prefixPart, StringComparison.Ordinal)
            || storedKey.AsSpan(_prefixPart.Length).IndexOfAny(PrefixSeparator, HashSeparator, MarkerSeparator) >= 0)
        {
            return false;
        }

        key = storedKey[_prefixPart.Length..];
        return key.Length > 0;
    }

    /// <summary>Whether a stored key is one of this cache's hashed long keys (its caller's key cannot be recovered).</summary>
    public bool IsHashedKey(string storedKey)
    {
        if (!storedKey.StartsWith(_prefixPart, StringComparison.Ordinal))
        {
            return false;
        }

        // Without a prefix every key starts with it: another cache's keys carry the prefix separator, ours never do.
        var rest = storedKey.AsSpan(_prefixPart.Length);
        return rest.IndexOf(PrefixSeparator) < 0 && rest.IndexOf(HashSeparator) >= 0;
    }

    /// <summary>The stored key of a tag's removal marker, or of the clear marker when <paramref name="tag"/> is null.</summary>
    public CacheKey Marker(string? tag)
    {
        var key = tag is null ? ClearMarker : string.Concat(TagMarkerHead, tag);
        var logical = string.Concat(_prefixPart, key);
        return new CacheKey(key, logical, logical.Length <= MaximumKeyLength ? logical : Hashed(key));
    }

    /// <summary>
    /// Whether a stored key of this cache is a marker: the clear marker (<paramref name="tag"/> null) or a tag's marker;
    /// <paramref name="hashed"/> when it is a marker whose tag was hashed away (too long to map back).
    /// </summary>
    public bool TryMarker(string storedKey, out string? tag, out bool hashed)
    {
        tag = null;
        hashed = false;
        if (!storedKey.StartsWith(_prefixPart, StringComparison.Ordinal) || storedKey.Length == _prefixPart.Length
            || storedKey[_prefixPart.Length] != MarkerSeparator)
        {
            return false;
        }

        var rest = storedKey.AsSpan(_prefixPart.Length);
        if (rest.IndexOf(HashSeparator) >= 0)
        {
            hashed = true;
            return true;
        }

        if (rest.SequenceEqual(ClearMarker))
        {
            return true;
        }

        if (rest.StartsWith(TagMarkerHead, StringComparison.Ordinal) && rest.Length > TagMarkerHead.Length)
        {
            tag = rest[TagMarkerHead.Length..].ToString();
            return true;
        }

        return false;
    }

    /// <summary>The shortest <see cref="CacheSerialOptions.MaximumKeyLength"/> that fits a hashed key behind this prefix.</summary>
    public static int MinimumMaximumKeyLength(string prefix) =>
        (prefix.Length == 0 ? 0 : prefix.Length + 1) + HashedKeyHeadLength + 1 + HashHexLength;

    public CacheKey Build(string key) => Build(key, nameof(key));

    /// <summary>As <see cref="Build(string)"/>, naming <paramref name="paramName"/> in the exception (a bulk call's list).</summary>
    public CacheKey Build(string key, string paramName)
    {
        Validate(key, paramName);
        var logical = _prefixPart.Length == 0 ? key : string.Concat(_prefixPart, key);
        var store = logical.Length <= MaximumKeyLength ? logical : Hashed(key);
        return new CacheKey(key, logical, store);
    }

    /// <summary>Throws <see cref="ArgumentException"/> for null, empty, white-space, control characters or broken UTF-16.</summary>
    public static void Validate(string key, string paramName, bool allowEmpty = false, string subject = "cache key")
    {
        // The common key is printable ASCII and not all spaces: one vectorized scan (plus one that stops at the first
        // non-space) says so, as a memory hit's whole budget is tens of nanoseconds. Anything else takes the checks below.
        if (key is not null && !key.AsSpan().ContainsAnyExceptInRange(' ', '~') && (allowEmpty || (key.Length > 0 && key[0] != ' ') || key.AsSpan().ContainsAnyExcept(' ')))
        {
            return;
        }

        ArgumentNullException.ThrowIfNull(key, paramName);
        if (!allowEmpty && string.IsNullOrWhiteSpace(key))
        {
            throw new ArgumentException($"A {subject} must not be empty or white space.", paramName);
        }

        for (var i = 0; i < key.Length; i++)
        {
            var c = key[i];
            if (char.IsControl(c))
            {
                throw new ArgumentException(
                    $"A {subject} must not contain control characters (found U+{(int)c:X4} at index {i}).", paramName);
            }

            if (char.IsHighSurrogate(c) && i + 1 < key.Length && char.IsLowSurrogate(key[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(c))
            {
                // A lone surrogate would encode to U+FFFD, making two different keys one stored key.
                throw new ArgumentException($"A {subject} must be valid UTF-16 (lone surrogate at index {i}).", paramName);
            }
        }
    }

    /// <summary>The same as <see cref="ComputeKeyCheck"/>, remembered for recently used keys.</summary>
    public void KeyCheck(string logicalKey, Span<byte> destination)
    {
        ref var slot = ref _keyChecks[logicalKey.GetHashCode() & (KeyCheckSlots - 1)];
        var entry = Volatile.Read(ref slot);
        if (entry is null || !string.Equals(entry.LogicalKey, logicalKey, StringComparison.Ordinal))
        {
            Span<byte> check = stackalloc byte[KeyCheckLength];
            ComputeKeyCheck(logicalKey, check);
            entry = new KeyCheckEntry(logicalKey, MemoryMarshal.Read<UInt128>(check));
            Volatile.Write(ref slot, entry);
        }

        MemoryMarshal.Write(destination, in entry.Check);
    }

    /// <summary>First 16 bytes of SHA-256 over the UTF-8 logical key.</summary>
    public static void ComputeKeyCheck(string logicalKey, Span<byte> destination)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        Sha256Utf8(logicalKey, hash);
        hash[..KeyCheckLength].CopyTo(destination);
    }

    private string Hashed(string key)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        Sha256Utf8(key, hash);
        var head = key.Length > HashedKeyHeadLength && char.IsHighSurrogate(key[HashedKeyHeadLength - 1])
            ? key.AsSpan(0, HashedKeyHeadLength - 1)
            : key.AsSpan(0, Math.Min(HashedKeyHeadLength, key.Length));
        return string.Concat(_prefixPart, head, [HashSeparator], Convert.ToHexStringLower(hash));
    }

    private sealed class KeyCheckEntry(string logicalKey, UInt128 check)
    {
        public readonly string LogicalKey = logicalKey;
        public readonly UInt128 Check = check;
    }

    private static void Sha256Utf8(string text, Span<byte> hash)
    {
        var max = Encoding.UTF8.GetMaxByteCount(text.Length);
        byte[]? rented = null;
        var buffer = max <= 512 ? stackalloc byte[512] : (rented = ArrayPool<byte>.Shared.Rent(max));
        try
        {
            var length = Encoding.UTF8.GetBytes(text, buffer);
            SHA256.HashData(buffer[..length], hash);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }
}
