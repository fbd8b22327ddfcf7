using CacheSerial.Internal;

namespace CacheSerial;

/// <summary>Builds cache keys.</summary>
/// <remarks>
/// Here, not in the Redis package, because whether a tag survives depends on the core's key rules (long keys are hashed
/// behind a readable head), and because any Redis Cluster behind <c>IDistributedCache</c> places keys by their tag.
/// </remarks>
public static class CacheKeys
{
    /// <summary>
    /// The longest tag <see cref="WithHashTag"/> accepts: <c>{tag}</c> must fit in the first 64 characters of the key,
    /// which a key longer than <see cref="CacheSerialOptions.MaximumKeyLength"/> keeps in front of its hash.
    /// </summary>
    public const int MaximumHashTagLength = KeyBuilder.HashedKeyHeadLength - 2;

    /// <summary>
    /// <c>{tag}key</c>: a key with a Redis Cluster hash tag in front, so every key with the same tag is stored in the same
    /// hash slot, on the same node, and a bulk read of them is one <c>MGET</c>. The tag is kept when a long key is hashed.
    /// It does not help when <see cref="CacheSerialOptions.KeyPrefix"/> has a tag of its own: the prefix comes first, so
    /// its tag wins.
    /// </summary>
    /// <param name="tag">What places the key; the same for keys read together. 1 to <see cref="MaximumHashTagLength"/> characters, without <c>{</c> or <c>}</c>.</param>
    /// <param name="key">The rest of the key; not empty.</param>
    /// <exception cref="ArgumentNullException"><paramref name="tag"/> or <paramref name="key"/> is null.</exception>
    /// <exception cref="ArgumentException">
    /// <paramref name="tag"/> is empty (Redis ignores <c>{}</c>), contains <c>{</c> or <c>}</c> (Redis would hash only part
    /// of it), is longer than <see cref="MaximumHashTagLength"/> (hashing a long key would cut it off), or contains
    /// characters no cache key may contain; or <paramref name="key"/> is empty.
    /// </exception>
    public static string WithHashTag(string tag, string key)
    {
        ArgumentException.ThrowIfNullOrEmpty(tag);
        ArgumentException.ThrowIfNullOrEmpty(key);
        if (tag.AsSpan().IndexOfAny('{', '}') >= 0)
        {
            throw new ArgumentException("A hash tag must not contain '{' or '}': Redis would hash only the part before the first '}'.", nameof(tag));
        }

        if (tag.Length > MaximumHashTagLength)
        {
            throw new ArgumentException(
                $"A hash tag must be at most {MaximumHashTagLength} characters (this one has {tag.Length}): a key longer than " +
                $"MaximumKeyLength is stored as its first {KeyBuilder.HashedKeyHeadLength} characters and a hash, which would cut the tag off.",
                nameof(tag));
        }

        KeyBuilder.Validate(tag, nameof(tag), allowEmpty: true); // control characters, broken UTF-16: named here, not at the cache call
        return string.Concat("{", tag, "}", key);
    }
}
