namespace Monitoring.Simulators.Model;

/// <summary>
/// Moroccan public holidays and Ramadan, 2022–2028. Fixed holidays follow the law; religious ones follow the
/// lunar calendar and were announced within a day of the dates below (moon sighting): good enough for a
/// simulation, and a scenario adds its own closures with <c>schedule.holidays</c>.
/// </summary>
public static class MoroccanCalendar
{
    private static readonly (int Month, int Day)[] Fixed =
    [
        (1, 1),   // New Year
        (1, 11),  // Proclamation of Independence
        (5, 1),   // Labour Day
        (7, 30),  // Throne Day
        (8, 14),  // Oued Ed-Dahab Day
        (8, 20),  // Revolution of the King and the People
        (8, 21),  // Youth Day
        (11, 6),  // Green March
        (11, 18), // Independence Day
    ];

    /// <summary>Eid al-Fitr (2 days), Eid al-Adha (2 days), Islamic New Year, Mawlid (2 days).</summary>
    private static readonly HashSet<DateOnly> Religious =
    [
        .. Days(2022, 5, 2, 2), .. Days(2022, 7, 10, 2), .. Days(2022, 7, 30, 1), .. Days(2022, 10, 8, 2),
        .. Days(2023, 4, 22, 2), .. Days(2023, 6, 29, 2), .. Days(2023, 7, 19, 1), .. Days(2023, 9, 27, 2),
        .. Days(2024, 4, 10, 2), .. Days(2024, 6, 17, 2), .. Days(2024, 7, 8, 1), .. Days(2024, 9, 16, 2),
        .. Days(2025, 3, 31, 2), .. Days(2025, 6, 7, 2), .. Days(2025, 6, 27, 1), .. Days(2025, 9, 5, 2),
        .. Days(2026, 3, 20, 2), .. Days(2026, 5, 27, 2), .. Days(2026, 6, 16, 1), .. Days(2026, 8, 26, 2),
        .. Days(2027, 3, 10, 2), .. Days(2027, 5, 16, 2), .. Days(2027, 6, 6, 1), .. Days(2027, 8, 15, 2),
        .. Days(2028, 2, 27, 2), .. Days(2028, 5, 5, 2), .. Days(2028, 5, 25, 1), .. Days(2028, 8, 4, 2),
    ];

    /// <summary>First and last day of Ramadan.</summary>
    private static readonly (DateOnly First, DateOnly Last)[] Ramadan =
    [
        (new(2022, 4, 3), new(2022, 5, 1)),
        (new(2023, 3, 23), new(2023, 4, 21)),
        (new(2024, 3, 12), new(2024, 4, 9)),
        (new(2025, 3, 2), new(2025, 3, 30)),
        (new(2026, 2, 19), new(2026, 3, 19)),
        (new(2027, 2, 8), new(2027, 3, 9)),
        (new(2028, 1, 28), new(2028, 2, 26)),
    ];

    public static bool IsPublicHoliday(DateOnly day)
    {
        foreach (var (month, d) in Fixed)
        {
            if (day.Month == month && day.Day == d)
            {
                return true;
            }
        }

        // Amazigh New Year is a public holiday since 2024.
        return (day.Year >= 2024 && day.Month == 1 && day.Day == 14) || Religious.Contains(day);
    }

    public static bool IsRamadan(DateOnly day)
    {
        foreach (var (first, last) in Ramadan)
        {
            if (day >= first && day <= last)
            {
                return true;
            }
        }

        return false;
    }

    private static IEnumerable<DateOnly> Days(int year, int month, int day, int count) =>
        Enumerable.Range(0, count).Select(i => new DateOnly(year, month, day).AddDays(i));
}
