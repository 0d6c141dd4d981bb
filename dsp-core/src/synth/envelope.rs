//! A note's loudness envelope in the feature domain: attack, decay, sustain
//! and release move the loudness the decoder hears, in dB, once per frame.
//! The decoder then shapes the attack's timbre as the instrument it learned
//! does (a bowed string's scratch, a breathy flute onset), instead of a
//! gain scaling the finished sound.

/// Attack, decay, sustain and release. Times are for the full swing
/// between the note's silence floor and its peak.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AdsrSettings {
    /// Rise from silence to the note's peak loudness, ms (0: one frame).
    pub attack_ms: f32,
    /// Fall from the peak to the sustain level, ms.
    pub decay_ms: f32,
    /// Sustain level relative to the peak, dB (≤ 0).
    pub sustain_db: f32,
    /// Fall from the peak to silence after the note ends, ms.
    pub release_ms: f32,
}

impl Default for AdsrSettings {
    fn default() -> Self {
        Self { attack_ms: 40.0, decay_ms: 300.0, sustain_db: -3.0, release_ms: 250.0 }
    }
}

/// Where a note's envelope is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// Silent: no note, or its release has ended.
    Idle,
    /// Rising to the peak.
    Attack,
    /// Falling from the peak to the sustain level.
    Decay,
    /// Holding the sustain level while the note is held.
    Sustain,
    /// Falling to silence after the note ended.
    Release,
}

/// One note's envelope. Real-time safe throughout.
#[derive(Clone, Copy, Debug)]
pub struct FeatureEnvelope {
    /// The current stage.
    stage: Stage,
    /// Loudness now, dB.
    level_db: f32,
    /// The note's peak loudness, dB.
    peak_db: f32,
    /// The loudness that counts as silence for this note, dB.
    floor_db: f32,
}

impl FeatureEnvelope {
    /// A silent envelope at `floor_db`.
    pub fn new(floor_db: f32) -> Self {
        Self { stage: Stage::Idle, level_db: floor_db, peak_db: floor_db, floor_db }
    }

    /// Starts a note peaking at `peak_db` with silence at `floor_db`. The
    /// attack starts from the current level (a note taking over a sounding
    /// voice does not drop to silence first).
    pub fn start(&mut self, peak_db: f32, floor_db: f32) {
        if self.stage == Stage::Idle {
            self.level_db = floor_db;
        }
        self.peak_db = peak_db.max(floor_db);
        self.floor_db = floor_db;
        // Above a quieter new peak, it falls there as a decay would.
        self.stage = if self.level_db > self.peak_db { Stage::Decay } else { Stage::Attack };
    }

    /// Moves a held note to a new peak without a new attack (legato): the
    /// level glides there as a decay or attack would.
    pub fn retarget(&mut self, peak_db: f32) {
        self.peak_db = peak_db.max(self.floor_db);
        if self.stage != Stage::Idle && self.stage != Stage::Release {
            self.stage = if self.level_db < self.peak_db { Stage::Attack } else { Stage::Decay };
        }
    }

    /// Ends the note: the release starts from the current level.
    pub fn release(&mut self) {
        if self.stage != Stage::Idle {
            self.stage = Stage::Release;
        }
    }

    /// The current stage.
    pub fn stage(&self) -> Stage {
        self.stage
    }

    /// Loudness now, dB.
    pub fn level_db(&self) -> f32 {
        self.level_db
    }

    /// The note's peak loudness, dB.
    pub fn peak_db(&self) -> f32 {
        self.peak_db
    }

    /// Advances one frame of `frame_seconds` and returns the loudness for
    /// that frame, dB.
    pub fn step(&mut self, frame_seconds: f32, settings: &AdsrSettings) -> f32 {
        let swing_db = (self.peak_db - self.floor_db).max(1.0);
        // dB per frame for a stage lasting `ms` over the full swing.
        let rate = |ms: f32| swing_db * frame_seconds / (ms * 1e-3).max(frame_seconds);
        let sustain_db = self.peak_db + settings.sustain_db.min(0.0);
        match self.stage {
            Stage::Idle => self.level_db = self.floor_db,
            Stage::Attack => {
                self.level_db += rate(settings.attack_ms);
                if self.level_db >= self.peak_db {
                    self.level_db = self.peak_db;
                    self.stage = Stage::Decay;
                }
            }
            Stage::Decay => {
                self.level_db -= rate(settings.decay_ms);
                if self.level_db <= sustain_db {
                    self.level_db = sustain_db;
                    self.stage = Stage::Sustain;
                }
            }
            Stage::Sustain => self.level_db = sustain_db,
            Stage::Release => {
                self.level_db -= rate(settings.release_ms);
                if self.level_db <= self.floor_db {
                    self.level_db = self.floor_db;
                    self.stage = Stage::Idle;
                }
            }
        }
        self.level_db
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FRAME_S: f32 = 0.004;

    fn run(envelope: &mut FeatureEnvelope, settings: &AdsrSettings, frames: usize) -> Vec<f32> {
        (0..frames).map(|_| envelope.step(FRAME_S, settings)).collect()
    }

    /// Attack reaches the peak in its time, decay the sustain level in its
    /// time, sustain holds, release reaches silence in its time.
    #[test]
    fn stages_take_their_times() {
        let settings = AdsrSettings { attack_ms: 40.0, decay_ms: 100.0, sustain_db: -6.0, release_ms: 200.0 };
        let mut envelope = FeatureEnvelope::new(-70.0);
        envelope.start(-20.0, -70.0);
        let attack = run(&mut envelope, &settings, 10);
        assert!(attack.windows(2).all(|w| w[1] > w[0]), "{attack:?}");
        assert_eq!(attack[9], -20.0, "the peak after 40 ms");
        // The decay swings 6 of the 50 dB: 100 ms × 6/50 = 12 ms, 3 frames.
        let decay = run(&mut envelope, &settings, 4);
        assert_eq!(decay[3], -26.0);
        assert_eq!(envelope.stage(), Stage::Sustain);
        assert!(run(&mut envelope, &settings, 100).iter().all(|&l| l == -26.0));
        envelope.release();
        // 44 dB of the 50 dB swing at 200 ms per swing: 176 ms, 44 frames.
        let release = run(&mut envelope, &settings, 45);
        assert!(release[42] > -70.0 && release[44] == -70.0, "{release:?}");
        assert_eq!(envelope.stage(), Stage::Idle);
    }

    /// A new note on a sounding envelope starts from where it is, never
    /// from silence: no drop, so no click.
    #[test]
    fn a_new_note_starts_from_the_current_level() {
        let settings = AdsrSettings::default();
        let mut envelope = FeatureEnvelope::new(-70.0);
        envelope.start(-20.0, -70.0);
        run(&mut envelope, &settings, 50);
        envelope.release();
        let before = run(&mut envelope, &settings, 5)[4];
        // A louder note rises from there; a quieter one falls from there by
        // at most a frame's decay.
        for (peak, rises) in [(-10.0, true), (-30.0, false)] {
            let mut next = envelope;
            next.start(peak, -70.0);
            let after = next.step(FRAME_S, &settings);
            let continues = if rises { after > before } else { after < before && after > before - 2.0 };
            assert!(continues, "{before} → {after} for a peak of {peak}");
        }
    }

    /// Legato: a new peak without a new attack from the current level.
    #[test]
    fn retarget_glides_to_the_new_peak() {
        let settings = AdsrSettings { sustain_db: 0.0, ..AdsrSettings::default() };
        let mut envelope = FeatureEnvelope::new(-70.0);
        envelope.start(-20.0, -70.0);
        run(&mut envelope, &settings, 100);
        envelope.retarget(-30.0);
        let levels = run(&mut envelope, &settings, 200);
        assert!(levels.windows(2).all(|w| w[1] <= w[0]));
        assert_eq!(*levels.last().unwrap(), -30.0);
    }
}
