// The package's sample devices under short names for the tests.
import { SAMPLE_DEVICES } from '../index';

export const ARDUINO = SAMPLE_DEVICES.arduinoUno;
export const KEYBOARD = SAMPLE_DEVICES.keyboard;
export const FLASH_DRIVE = SAMPLE_DEVICES.flashDrive;
