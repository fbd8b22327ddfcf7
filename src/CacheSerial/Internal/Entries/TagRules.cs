namespace CacheSerial.Internal;

/// <summary>The one home of tag rules: what a tag may be, and a call's tags as the envelope stores them.</summary>
internal static class TagRules
{
    /// <summary>Reserved: HybridCache's "every entry"; here <see cref="ITypedCache.ClearAsync"/> says it.</summary>
    public const string Wildcard = "*";

    /// <summary>Checks one tag; throws <see cref="ArgumentException"/> naming <paramref name="paramName"/>.</summary>
    public static void Validate(string tag, string paramName)
    {
        ArgumentNullException.ThrowIfNull(tag, paramName);
        if (tag.Length > CacheEntryOptions.MaximumTagLength)
        {
            throw new ArgumentException(
                $"A tag must be at most {CacheEntryOptions.MaximumTagLength} characters (found {tag.Length}).", paramName);
        }

        if (tag == Wildcard)
        {
            throw new ArgumentException("The tag '*' is reserved: call ClearAsync to drop every entry of the cache.", paramName);
        }

        KeyBuilder.Validate(tag, paramName, subject: "tag");
    }

    /// <summary>Checks every tag and returns them distinct (ordinal, first occurrence kept), or null for none.</summary>
    public static string[]? Normalize(IEnumerable<string> tags, string paramName, int maximumCount = CacheEntryOptions.MaximumTagCount)
    {
        List<string>? distinct = null;
        foreach (var tag in tags)
        {
            Validate(tag, paramName);
            distinct ??= [];
            if (!distinct.Contains(tag, StringComparer.Ordinal))
            {
                distinct.Add(tag);
            }
        }

        if (distinct is not null && distinct.Count > maximumCount)
        {
            throw new ArgumentException(
                $"An entry may carry at most {CacheEntryOptions.MaximumTagCount} tags (found {distinct.Count}).", paramName);
        }

        return distinct is null ? null : [.. distinct];
    }

    /// <summary>Both lists' tags, distinct; either may be null.</summary>
    public static string[]? Union(string[]? first, IReadOnlyCollection<string>? second)
    {
        if (second is null || second.Count == 0)
        {
            return first;
        }

        return Normalize(first is null ? second : first.Concat(second), "tags");
    }
}
