//! Training: gradients reach every weight, a few steps lower the loss, the
//! learned reverb has the length asked for, and an interrupted run resumes
//! to exactly the weights of an uninterrupted one.
//! A tiny network on a generated melody at 16 kHz keeps this fast.

use std::path::{Path, PathBuf};

use ddsp_model::checkpoint::load_checkpoint;
use ddsp_model::config::DecoderConfig;
use ddsp_training::audio_file::{write_wav, AudioClip};
use ddsp_training::audio_loss::{AudioStage, REVERB_SECONDS};
use ddsp_training::dataset::{prepare_dataset, Dataset};
use ddsp_training::trainer::EXAMPLE_FRAMES;
use ddsp_training::trainer::{state_path, TrainSettings, Trainer};

const RATE: f32 = 16_000.0;

fn tiny_config() -> DecoderConfig {
    DecoderConfig {
        mlp_units: 32,
        mlp_layers: 1,
        gru_units: 32,
        num_harmonics: 24,
        num_noise_bands: 17,
        model_rate_hz: RATE,
        ..DecoderConfig::default_size()
    }
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ddsp-training-tests-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// 24 s of a bowed-string-like melody: notes every 0.4 s with vibrato,
/// swells, a 1/h spectrum and a little breath noise.
fn melody_file(dir: &Path) -> PathBuf {
    let notes = [57.0f32, 60.0, 62.0, 64.0, 67.0, 65.0, 64.0, 62.0, 60.0, 59.0];
    let mut phase = 0.0f64;
    let mut noise = dsp_core::rng::NoiseRng::new(5);
    let samples: Vec<f32> = (0..(24.0 * RATE) as usize)
        .map(|n| {
            let t = n as f32 / RATE;
            let note_index = (t / 0.4) as usize;
            let within = t - note_index as f32 * 0.4;
            let midi = notes[note_index % notes.len()] + 0.2 * (2.0 * std::f32::consts::PI * 5.5 * t).sin();
            let f0 = 440.0 * 2f32.powf((midi - 69.0) / 12.0);
            phase += f0 as f64 / RATE as f64;
            let envelope = (within / 0.05).min(1.0) * (1.0 - (within / 0.4).powi(4)) * (0.5 + 0.3 * (0.7 * t).sin());
            let tone: f32 = (1..=20)
                .filter(|&h| h as f32 * f0 < 0.5 * RATE)
                .map(|h| (2.0 * std::f64::consts::PI * h as f64 * phase).sin() as f32 / h as f32)
                .sum();
            envelope * (0.2 * tone + 0.01 * noise.next_sample())
        })
        .collect();
    let path = dir.join("melody.wav");
    write_wav(&path, &AudioClip { channels: vec![samples], sample_rate_hz: RATE as u32 }).unwrap();
    path
}

fn dataset(dir: &Path) -> Dataset {
    prepare_dataset(&[melody_file(dir)], &tiny_config(), 20.0, EXAMPLE_FRAMES, |_, _| {}).unwrap()
}

fn settings() -> TrainSettings {
    TrainSettings {
        batch_size: 4,
        frame_steps: 30,
        audio_steps: 4,
        audio_batch_size: 2,
        checkpoint_every: 10,
        ..TrainSettings::new(tiny_config(), "test")
    }
}

#[test]
fn gradients_reach_every_weight_through_both_losses() {
    let dir = temp_dir("gradients");
    let data = dataset(&dir);
    let trainer = Trainer::new(settings(), data.statistics).unwrap();
    let audio = AudioStage::new(&tiny_config(), &data).unwrap();
    for (stage, norms) in [
        ("frames", trainer.gradient_norms(&data, None).unwrap()),
        ("audio", trainer.gradient_norms(&data, Some(&audio)).unwrap()),
    ] {
        assert!(norms.len() > 10);
        for (name, norm) in norms {
            // The reverb only exists in the audio stage.
            if stage == "frames" && name.starts_with("reverb") {
                continue;
            }
            assert!(norm.is_finite() && norm > 0.0, "{stage} stage: gradient of {name} is {norm}");
        }
    }
}

#[test]
fn a_few_steps_lower_both_losses() {
    let dir = temp_dir("lowers");
    let data = dataset(&dir);
    let mut trainer = Trainer::new(settings(), data.statistics).unwrap();
    let audio = AudioStage::new(&tiny_config(), &data).unwrap();
    let (frames_before, audio_before) =
        (trainer.validation_loss(&data, None).unwrap(), trainer.validation_loss(&data, Some(&audio)).unwrap());
    trainer.run(&data, &dir.join("model.safetensors"), None, None, |_| {}).unwrap();
    let (frames_after, audio_after) =
        (trainer.validation_loss(&data, None).unwrap(), trainer.validation_loss(&data, Some(&audio)).unwrap());
    assert!(frames_after < 0.8 * frames_before, "frame loss {frames_before} → {frames_after}");
    assert!(audio_after < audio_before, "spectral loss {audio_before} → {audio_after}");
    // The written model loads and carries the data's statistics.
    let checkpoint = load_checkpoint(&dir.join("model.safetensors")).unwrap();
    assert_eq!(checkpoint.info.dataset, data.statistics);
    assert!(!checkpoint.reverb_ir.is_empty());
}

#[test]
fn the_learned_reverb_is_as_long_as_the_settings_ask() {
    let dir = temp_dir("reverb-length");
    let data = dataset(&dir);
    let short = TrainSettings { reverb_seconds: 0.03, audio_steps: 1, ..settings() };
    let model = dir.join("short-room.safetensors");
    Trainer::new(short, data.statistics).unwrap().run(&data, &model, None, None, |_| {}).unwrap();
    assert_eq!(load_checkpoint(&model).unwrap().reverb_ir.len(), (0.03 * RATE) as usize);
    for seconds in [0.0, -1.0, f32::NAN, 3.5] {
        let refused = Trainer::new(TrainSettings { reverb_seconds: seconds, ..settings() }, data.statistics);
        assert!(refused.is_err(), "a reverb of {seconds} s was accepted");
    }
}

#[test]
fn an_interrupted_run_resumes_to_the_same_weights() {
    let dir = temp_dir("resume");
    let data = dataset(&dir);
    let straight = dir.join("straight.safetensors");
    Trainer::new(settings(), data.statistics).unwrap().run(&data, &straight, None, None, |_| {}).unwrap();

    let interrupted = dir.join("interrupted.safetensors");
    Trainer::new(settings(), data.statistics).unwrap().run(&data, &interrupted, None, Some(20), |_| {}).unwrap();
    let mut resumed = Trainer::resume(&state_path(&interrupted), &settings()).unwrap().expect("a training state");
    assert_eq!(resumed.step(), 20);
    resumed.run(&data, &interrupted, None, None, |_| {}).unwrap();
    assert_eq!(resumed.step(), settings().total_steps());

    let (a, b) = (load_checkpoint(&straight).unwrap(), load_checkpoint(&interrupted).unwrap());
    for (name, tensor) in &a.tensors {
        let (x, y) = (
            tensor.flatten_all().unwrap().to_vec1::<f32>().unwrap(),
            b.tensors[name].flatten_all().unwrap().to_vec1::<f32>().unwrap(),
        );
        assert_eq!(x, y, "{name} differs after resuming");
    }
    assert_eq!(a.reverb_ir, b.reverb_ir);
    // Other settings refuse to resume.
    let other = TrainSettings { seed: 2, ..settings() };
    assert!(Trainer::resume(&state_path(&interrupted), &other).is_err());
}

#[test]
fn settings_saved_before_the_reverb_length_existed_read_it_as_the_default() {
    let mut saved = serde_json::to_value(settings()).unwrap();
    saved.as_object_mut().unwrap().remove("reverb_seconds").expect("the field is saved");
    let read: TrainSettings = serde_json::from_value(saved).unwrap();
    assert_eq!(read, settings());
    assert_eq!(read.reverb_seconds, REVERB_SECONDS);
}
