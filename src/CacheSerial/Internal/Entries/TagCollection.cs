using System.Collections;

namespace CacheSerial.Internal;

/// <summary>
/// <see cref="CacheFactoryContext.Tags"/>: the call's tags to start with; each tag the factory adds is checked as it is
/// added, so a bad tag throws inside the factory (its own mistake, at its own line) and never after the value exists.
/// </summary>
internal sealed class TagCollection(string[]? initial) : ICollection<string>
{
    private readonly List<string> _tags = initial is null ? [] : [.. initial];

    public int Count => _tags.Count;

    public bool IsReadOnly => false;

    public void Add(string item)
    {
        TagRules.Validate(item, nameof(item));
        if (_tags.Contains(item, StringComparer.Ordinal))
        {
            return;
        }

        if (_tags.Count == CacheEntryOptions.MaximumTagCount)
        {
            throw new InvalidOperationException($"An entry may carry at most {CacheEntryOptions.MaximumTagCount} tags.");
        }

        _tags.Add(item);
    }

    public void Clear() => _tags.Clear();

    public bool Contains(string item) => _tags.Contains(item, StringComparer.Ordinal);

    public void CopyTo(string[] array, int arrayIndex) => _tags.CopyTo(array, arrayIndex);

    public bool Remove(string item)
    {
        var at = _tags.FindIndex(t => string.Equals(t, item, StringComparison.Ordinal));
        if (at < 0)
        {
            return false;
        }

        _tags.RemoveAt(at);
        return true;
    }

    public IEnumerator<string> GetEnumerator() => _tags.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>The tags now, or null for none.</summary>
    public string[]? ToArray() => _tags.Count == 0 ? null : [.. _tags];
}
